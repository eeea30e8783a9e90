import { and, asc, avg, count, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { LeadwiseDatabase } from '../client.ts';
import { records } from '../schema/datasets.ts';
import { runParams, runs } from '../schema/experiments.ts';
import type { RecordLabel } from '../schema/enums.ts';
import { leadGroupAttributions, type LeadGroupAttribution, type NewLeadGroupAttribution } from '../schema/predictions.ts';
import { bulkUpsert } from './bulk-upsert.ts';

export interface GroupAttributionSummary {
  groupName: string;
  label: RecordLabel;
  /** Records contributing to the means. */
  n: number;
  /** Means over the records that have a value (nulls are skipped); null when none has one. */
  meanAttentionWeight: number | null;
  meanOcclusionDelta: number | null;
  /** Sample standard deviations; null with fewer than two values. */
  sdAttentionWeight: number | null;
  sdOcclusionDelta: number | null;
}

/** Attributions of one lead group pooled over an experiment's evaluations of one model, dataset and true label. */
export interface ExperimentAttributionGroup {
  model: string;
  datasetId: number | null;
  label: RecordLabel;
  group: string;
  n: number;
  attentionMean: number | null;
  attentionSd: number | null;
  occlusionMean: number | null;
  occlusionSd: number | null;
}

export class AttributionStore {
  constructor(private readonly db: LeadwiseDatabase) {}

  /** Inserts or overwrites by (run, record, group). Returns rows written. */
  async upsertMany(rows: readonly NewLeadGroupAttribution[], options: { chunkSize?: number } = {}): Promise<number> {
    const written = await bulkUpsert(this.db, leadGroupAttributions, rows, {
      conflictTarget: ['runId', 'recordId', 'groupName'],
      update: ['attentionWeight', 'occlusionDelta'],
      chunkSize: options.chunkSize,
    });
    return written.length;
  }

  /** Attributions of a record, from one run or all. */
  async byRecord(recordId: number, options: { runId?: number } = {}): Promise<LeadGroupAttribution[]> {
    return this.db
      .select()
      .from(leadGroupAttributions)
      .where(
        and(
          eq(leadGroupAttributions.recordId, recordId),
          options.runId !== undefined ? eq(leadGroupAttributions.runId, options.runId) : undefined,
        ),
      )
      .orderBy(asc(leadGroupAttributions.runId), asc(leadGroupAttributions.groupName));
  }

  /** For DataLoaders: attributions of these records in one run. */
  async forRunRecords(runId: number, recordIds: readonly number[]): Promise<LeadGroupAttribution[]> {
    if (recordIds.length === 0) return [];
    return this.db
      .select()
      .from(leadGroupAttributions)
      .where(and(eq(leadGroupAttributions.runId, runId), inArray(leadGroupAttributions.recordId, [...recordIds])));
  }

  /** Every attribution of a run, in no particular order. */
  async listByRun(runId: number): Promise<LeadGroupAttribution[]> {
    return this.db.select().from(leadGroupAttributions).where(eq(leadGroupAttributions.runId, runId));
  }

  /**
   * Mean and sample SD of attention weights and occlusion deltas over an experiment's finished
   * evaluation runs, by model, dataset, true label and lead group. Runs whose param `exceptParam.key`
   * is `exceptParam.value` are left out, and so are runs without that param.
   */
  async summarizeExperiment(experimentId: number, exceptParam: { key: string; value: string }): Promise<ExperimentAttributionGroup[]> {
    return this.db
      .select({
        model: runs.model,
        datasetId: runs.datasetId,
        label: records.label,
        group: leadGroupAttributions.groupName,
        n: count(),
        attentionMean: avg(leadGroupAttributions.attentionWeight).mapWith(Number),
        attentionSd: sql<number>`stddev_samp(${leadGroupAttributions.attentionWeight})`.mapWith(Number),
        occlusionMean: avg(leadGroupAttributions.occlusionDelta).mapWith(Number),
        occlusionSd: sql<number>`stddev_samp(${leadGroupAttributions.occlusionDelta})`.mapWith(Number),
      })
      .from(leadGroupAttributions)
      .innerJoin(runs, eq(runs.id, leadGroupAttributions.runId))
      .innerJoin(records, eq(records.id, leadGroupAttributions.recordId))
      .innerJoin(runParams, and(eq(runParams.runId, runs.id), eq(runParams.key, exceptParam.key)))
      .where(
        and(
          eq(runs.experimentId, experimentId),
          eq(runs.kind, 'evaluate'),
          eq(runs.status, 'finished'),
          isNull(runs.deletedAt),
          ne(runParams.value, exceptParam.value),
        ),
      )
      .groupBy(runs.model, runs.datasetId, records.label, leadGroupAttributions.groupName);
  }

  /**
   * Mean and sample SD of attention and occlusion per lead group and record label of one run (the
   * report's attribution chart, the API's summary), ordered by group then label, or by label then group.
   */
  async summarizeByLabel(runId: number, options: { orderBy?: 'group' | 'label' } = {}): Promise<GroupAttributionSummary[]> {
    const order = options.orderBy === 'label' ? [asc(records.label), asc(leadGroupAttributions.groupName)] : [asc(leadGroupAttributions.groupName), asc(records.label)];
    return this.db
      .select({
        groupName: leadGroupAttributions.groupName,
        label: records.label,
        n: count(),
        meanAttentionWeight: avg(leadGroupAttributions.attentionWeight).mapWith(Number),
        sdAttentionWeight: sql<number | null>`stddev_samp(${leadGroupAttributions.attentionWeight})`.mapWith(Number),
        meanOcclusionDelta: avg(leadGroupAttributions.occlusionDelta).mapWith(Number),
        sdOcclusionDelta: sql<number | null>`stddev_samp(${leadGroupAttributions.occlusionDelta})`.mapWith(Number),
      })
      .from(leadGroupAttributions)
      .innerJoin(records, eq(records.id, leadGroupAttributions.recordId))
      .where(eq(leadGroupAttributions.runId, runId))
      .groupBy(leadGroupAttributions.groupName, records.label)
      .orderBy(...order);
  }

  /** A run's attributions of one record, by group name. */
  async forRunRecord(runId: number, recordId: number): Promise<LeadGroupAttribution[]> {
    return this.db
      .select()
      .from(leadGroupAttributions)
      .where(and(eq(leadGroupAttributions.runId, runId), eq(leadGroupAttributions.recordId, recordId)))
      .orderBy(asc(leadGroupAttributions.groupName));
  }
}
