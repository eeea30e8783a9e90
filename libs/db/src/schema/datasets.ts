import { sql } from 'drizzle-orm';
import { check, doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { idColumn, refColumn, softDelete, timestamps } from './columns.ts';
import { DATASET_KINDS, RECORD_LABELS, SEXES, SPLITS, inList } from './enums.ts';

export const datasets = pgTable(
  'datasets',
  {
    id: idColumn(),
    name: text('name').notNull(),
    kind: text('kind', { enum: DATASET_KINDS }).notNull(),
    /** Folder or zip the dataset was imported from, as given to the importer. */
    sourcePath: text('source_path').notNull(),
    /** sha256 of each input file that defines the dataset (CSV tables, archives), keyed by file name. */
    sourceFileHashes: jsonb('source_file_hashes').$type<Record<string, string>>().notNull().default({}),
    /** Name of the label rule function that produced `records.label`, e.g. `ptbxl-normal-vs-abnormal`. */
    labelRule: text('label_rule').notNull(),
    ...timestamps(),
    ...softDelete(),
  },
  (t) => [
    // Import is idempotent by name: a re-import updates the same row.
    uniqueIndex('datasets_name_key').on(t.name),
    check('datasets_kind_check', sql.raw(inList('kind', DATASET_KINDS))),
  ],
);

/**
 * Codes as the source gives them: PTB-XL `scp_codes` (statement -> likelihood in %), or the
 * SNOMED-CT codes of a CinC `#Dx` line (as a list).
 */
export type SourceCodes = Record<string, number> | string[];

export const records = pgTable(
  'records',
  {
    id: idColumn(),
    datasetId: refColumn('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    /** The record's name in its source: PTB-XL `ecg_id`, CinC record name, manifest path. */
    externalId: text('external_id').notNull(),
    patientId: text('patient_id'),
    /** PTB-XL `strat_fold` (1-10); null for sources without folds. */
    fold: integer('fold'),
    split: text('split', { enum: SPLITS }),
    label: text('label', { enum: RECORD_LABELS }).notNull(),
    sourceCodes: jsonb('source_codes').$type<SourceCodes>().notNull(),
    samplingRateHz: doublePrecision('sampling_rate_hz').notNull(),
    lengthSamples: integer('length_samples').notNull(),
    ageYears: doublePrecision('age_years'),
    sex: text('sex', { enum: SEXES }),
    /** Signal location (header path for WFDB), relative to the dataset's source path. */
    signalPath: text('signal_path').notNull(),
    signalSha256: text('signal_sha256'),
    /** Quality flags from the ecg library (Einthoven/Goldberger residuals, checksum results). */
    quality: jsonb('quality').$type<Record<string, unknown>>(),
    ...timestamps(),
  },
  (t) => [
    // Upsert key: re-importing a dataset updates records in place, never duplicates them.
    uniqueIndex('records_dataset_external_key').on(t.datasetId, t.externalId),
    // API/record list: filter by dataset (+ split, + label) and page by id (keyset cursor).
    index('records_dataset_split_label_id_idx').on(t.datasetId, t.split, t.label, t.id),
    // Patient-level leakage checks and "all records of a patient" in a dataset.
    index('records_dataset_patient_idx').on(t.datasetId, t.patientId),
    check('records_split_check', sql.raw(`"split" IS NULL OR ${inList('split', SPLITS)}`)),
    check('records_label_check', sql.raw(inList('label', RECORD_LABELS))),
    check('records_sex_check', sql.raw(`"sex" IS NULL OR ${inList('sex', SEXES)}`)),
  ],
);

export type Dataset = typeof datasets.$inferSelect;
export type NewDataset = typeof datasets.$inferInsert;
export type RecordRow = typeof records.$inferSelect;
export type NewRecordRow = typeof records.$inferInsert;
