// The public API: what other packages use. Everything else in src/ is internal to the library.
export { LEAD_GROUPS, LEAD_GROUP_NAMES, LEAD_NAMES, type LeadGroupName, type LeadName } from './leads.ts';
export { LOCALISED_GROUP_NAMES, localisedGroupTargets } from './localised-statements.ts';
export { SEXES, leadSignal, type EcgRecording, type Sex } from './recording.ts';
export { EcgInputError, WfdbSignalError } from './errors.ts';
export { readWfdbRecord } from './wfdb-record.ts';
export { RECORD_LABELS, SCORE_SOURCES, type RecordLabel, type ScoreSource } from './label-rules.ts';
export { resolveCacheDir, resolveEcgDataDir } from './data-dir.ts';
export { extractTarArchiveCached, isTarArchive, isZipArchive } from './archive-cache.ts';
export { relativeSignalPath } from './file-source.ts';
export { DEFAULT_IMPORT_LIMITS, type ImportLimits } from './import-limits.ts';
export { DATASET_KINDS, DATASET_SPLITS, type DatasetKind, type DatasetListing, type DatasetSplit } from './dataset-entry.ts';
export { loadDatasetRecord, openDataset, type OpenDatasetOptions } from './dataset-record.ts';
export { createRandom, mixSeed, randomInt, seededPermutation, seededRandom, type Random } from './seeded-random.ts';
