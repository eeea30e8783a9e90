import { relations } from 'drizzle-orm';
import { datasets, records } from './datasets.ts';
import { experiments, runArtifacts, runLatestMetrics, runMetrics, runParams, runTags, runs } from './experiments.ts';
import { jobs } from './jobs.ts';
import { llmResponses } from './llm-responses.ts';
import { leadGroupAttributions, predictions } from './predictions.ts';
import { renderStyles, renderedImages } from './renders.ts';

// Relations feed drizzle's relational queries (`db.query.runs.findMany({ with: { params: true } })`);
// they add no constraints, the foreign keys live on the tables.

export const datasetsRelations = relations(datasets, ({ many }) => ({ records: many(records) }));

export const recordsRelations = relations(records, ({ one, many }) => ({
  dataset: one(datasets, { fields: [records.datasetId], references: [datasets.id] }),
  renderedImages: many(renderedImages),
  predictions: many(predictions),
}));

export const renderStylesRelations = relations(renderStyles, ({ many }) => ({ images: many(renderedImages) }));

export const renderedImagesRelations = relations(renderedImages, ({ one }) => ({
  record: one(records, { fields: [renderedImages.recordId], references: [records.id] }),
  style: one(renderStyles, { fields: [renderedImages.styleId], references: [renderStyles.id] }),
}));

export const experimentsRelations = relations(experiments, ({ many }) => ({ runs: many(runs) }));

export const runsRelations = relations(runs, ({ one, many }) => ({
  experiment: one(experiments, { fields: [runs.experimentId], references: [experiments.id] }),
  dataset: one(datasets, { fields: [runs.datasetId], references: [datasets.id] }),
  params: many(runParams),
  tags: many(runTags),
  metrics: many(runMetrics),
  latestMetrics: many(runLatestMetrics),
  artifacts: many(runArtifacts),
}));

export const runParamsRelations = relations(runParams, ({ one }) => ({ run: one(runs, { fields: [runParams.runId], references: [runs.id] }) }));
export const runTagsRelations = relations(runTags, ({ one }) => ({ run: one(runs, { fields: [runTags.runId], references: [runs.id] }) }));
export const runMetricsRelations = relations(runMetrics, ({ one }) => ({ run: one(runs, { fields: [runMetrics.runId], references: [runs.id] }) }));
export const runLatestMetricsRelations = relations(runLatestMetrics, ({ one }) => ({
  run: one(runs, { fields: [runLatestMetrics.runId], references: [runs.id] }),
}));
export const runArtifactsRelations = relations(runArtifacts, ({ one }) => ({ run: one(runs, { fields: [runArtifacts.runId], references: [runs.id] }) }));

export const predictionsRelations = relations(predictions, ({ one }) => ({
  run: one(runs, { fields: [predictions.runId], references: [runs.id] }),
  record: one(records, { fields: [predictions.recordId], references: [records.id] }),
}));

export const leadGroupAttributionsRelations = relations(leadGroupAttributions, ({ one }) => ({
  run: one(runs, { fields: [leadGroupAttributions.runId], references: [runs.id] }),
  record: one(records, { fields: [leadGroupAttributions.recordId], references: [records.id] }),
}));

export const llmResponsesRelations = relations(llmResponses, ({ one }) => ({
  run: one(runs, { fields: [llmResponses.runId], references: [runs.id] }),
  record: one(records, { fields: [llmResponses.recordId], references: [records.id] }),
}));

export const jobsRelations = relations(jobs, ({ one }) => ({ run: one(runs, { fields: [jobs.runId], references: [runs.id] }) }));
