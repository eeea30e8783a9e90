export * from './schema/index.ts';
export * from './schema/enums.ts';
export * from './client.ts';
export { DATA_CHANGED_CHANNEL, type DataChangeListener, type DataChangeWatch } from './data-changes.ts';
export * from './errors.ts';
export { migrationStatus, type MigrationStatus } from './migrations.ts';
export { tableRowCounts } from './table-row-counts.ts';
export { MIGRATIONS_FOLDER, REPO_ROOT, redactDatabaseUrl, resolveLeadwiseHome } from './paths.ts';
export { queryRows } from './raw-query.ts';
export { sqlExecutorFor, sqlExecutorInTransaction, type SqlExecutor } from './sql-executor.ts';
export { transaction, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from './stores/store-kit.ts';
export { DatasetStore, type DatasetLabelCount, type IncludeDeleted } from './stores/dataset-store.ts';
export { RecordStore, type RecordFilter, type RecordPageOptions } from './stores/record-store.ts';
export { RenderStore } from './stores/render-store.ts';
export { ExperimentStore, type StudyExperimentPlan } from './stores/experiment-store.ts';
export { withRun, runErrorText, type RunLifecycle } from './stores/run-lifecycle.ts';
export { RunStore, RUN_TRANSITIONS, type EvaluationMetricRow, type MetricPoint, type ParamValue } from './stores/run-store.ts';
export {
  PredictionStore,
  type BinaryLabel,
  type PredictionCursor,
  type PredictionFilter,
  type PredictionPageOptions,
  type PredictionSort,
  type PredictionWithRecord,
  type ScoredLabel,
} from './stores/prediction-store.ts';
export { AttributionStore, type ExperimentAttributionGroup, type GroupAttributionSummary } from './stores/attribution-store.ts';
export { LlmResponseStore, type LlmCacheKey, type LlmResponseFilter } from './stores/llm-response-store.ts';
export { JobStore, type ClaimOptions, type JobProgress, type JobSignal } from './stores/job-store.ts';
export { RunPairStore, type PairedPrediction } from './stores/run-pair-store.ts';
export { MAX_RUNS_ACROSS, RecordsAcrossRunsStore, type RecordAcrossRuns } from './stores/records-across-runs-store.ts';
