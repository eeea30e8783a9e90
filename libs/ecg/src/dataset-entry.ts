import type { FileSource } from './file-source.ts';
import type { RecordLabel } from './label-rules.ts';
import type { Sex } from './recording.ts';

export const DATASET_SPLITS = ['train', 'val', 'test'] as const;
export type DatasetSplit = (typeof DATASET_SPLITS)[number];
/** Dataset adapters; `openDataset` maps each kind to its reader. */
export const DATASET_KINDS = ['ptbxl', 'cinc', 'manifest'] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

/** One record as a dataset's tables (or headers) describe it, before its signals are read. */
export interface DatasetEntry {
  /** PTB-XL `ecg_id`, CinC record name, or the manifest path without `.hea`. */
  externalId: string;
  /** The record's header, relative to the dataset source, with `.hea`. */
  headerPath: string;
  patientId: string | null;
  /** PTB-XL `strat_fold`; null for sources without folds. */
  fold: number | null;
  split: DatasetSplit | null;
  label: RecordLabel;
  /** PTB-XL scp_codes (statement -> likelihood %), CinC `#Dx` SNOMED-CT codes, or the manifest label. */
  sourceCodes: Record<string, number> | string[];
  ageYears: number | null;
  sex: Sex | null;
  /** The header's bytes when the adapter already read them (CinC), so import need not read twice. */
  headerBytes?: Uint8Array;
}

/** A dataset's record list with where to read it from. */
export interface DatasetListing {
  kind: DatasetKind;
  source: FileSource;
  entries: DatasetEntry[];
  /** `ruleName` of the label rule that produced the labels. */
  labelRule: string;
  /** Defining tables (CSV) by relative path, so the importer can record their checksums. */
  tables: Record<string, Uint8Array>;
  /** Records the listing names but whose header is absent, found while listing (CinC `RECORDS`). */
  missingHeaders: string[];
}
