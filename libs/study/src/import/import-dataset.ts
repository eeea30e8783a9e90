import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { DatasetStore, RecordStore, type LeadwiseDatabase, type NewRecordRow } from '@leadwise/db';
import {
  isTarArchive,
  isZipArchive,
  loadDatasetRecord,
  openDataset,
  resolveCacheDir,
  type DatasetKind,
  type DatasetListing,
  type ImportLimits,
  type OpenDatasetOptions,
} from '@leadwise/ecg';
import { splitDatasetRecords, type SplitDatasetInput, type SplitSummary } from '../split/split-dataset.ts';

export interface ImportDatasetInput {
  kind: DatasetKind;
  /** Folder, tar archive or PhysioNet zip (ptbxl, cinc); CSV or folder with manifest.csv (manifest). */
  path: string;
  /** Dataset name, the idempotency key; defaults to the path's base name without archive extensions. */
  name?: string;
  /** Where archives are extracted; defaults to `$LEADWISE_HOME/cache`. */
  cacheDir?: string;
  /** Adapter options (label rules, split functions). */
  adapters?: Pick<OpenDatasetOptions, 'ptbxl' | 'cinc'>;
  /** Records read at once (default 8): overlaps file I/O with decoding. */
  concurrency?: number;
  /** Split the dataset in the same transaction (as `leadwise split` does), e.g. for sources without folds. */
  split?: SplitDatasetInput;
  /** Size limits checked before reading or extracting (default DEFAULT_IMPORT_LIMITS). */
  limits?: ImportLimits;
}

/** An import refused as a whole (nothing written): the message says why and what to do. */
export class ImportError extends Error {
  override name = 'ImportError';
}

export interface ImportProgress {
  phase: 'listing' | 'reading' | 'writing' | 'done';
  done: number;
  total: number;
}

export interface ImportSummary {
  datasetId: number;
  name: string;
  kind: DatasetKind;
  /** Records written (inserted or updated), all labels. */
  imported: number;
  normal: number;
  abnormal: number;
  excluded: number;
  /** Listed records skipped because their header or signal file is absent. */
  missingFiles: number;
  /** Imported records whose limb leads break Einthoven/Goldberger beyond tolerance. */
  qualityFlags: number;
  /** Records of an earlier import no longer in the source, removed. */
  removed: number;
  /** Records no longer in the source but kept because runs predicted or an LLM answered them. */
  keptReferenced: number;
  labelRule: string;
  /** The split made at import, when one was asked for. */
  split?: SplitSummary;
}

/**
 * Imports a dataset's records into the database, idempotently: the dataset is keyed by name and
 * each record by (dataset, external id), so a re-import updates rows in place. Every record is read,
 * checksum-verified and decoded before anything is written, and the writes run in one transaction,
 * so a bad file or a failed write leaves the database as it was.
 */
export async function importDataset(
  db: LeadwiseDatabase,
  input: ImportDatasetInput,
  onProgress?: (progress: ImportProgress) => void,
): Promise<ImportSummary> {
  const sourcePath = resolve(input.path);
  const name = input.name ?? defaultDatasetName(sourcePath);
  const report = onProgress ?? ignoreProgress;
  report({ phase: 'listing', done: 0, total: 0 });
  // A name keeps the kind it was first imported as: records of two layouts under one name would mix
  // label rules and external ids.
  const existing = await new DatasetStore(db).getByName(name, { includeDeleted: true });
  if (existing && existing.kind !== input.kind) {
    throw new ImportError(`dataset "${name}" was imported as kind ${existing.kind}, not ${input.kind}; re-import it as ${existing.kind}, or choose another --name`);
  }
  const listing = await openDataset(input.kind, sourcePath, { cacheDir: input.cacheDir ?? resolveCacheDir(), ...input.adapters, limits: input.limits });
  try {
    const { rows, missingFiles } = await readRecords(listing, input.concurrency ?? 8, report);
    if (rows.length === 0) {
      throw new ImportError(
        `${sourcePath}: no record could be read (${listing.entries.length + listing.missingHeaders.length} listed, ${missingFiles} with missing files); nothing imported`,
      );
    }
    const sourceFileHashes: Record<string, string> = {};
    for (const [file, bytes] of Object.entries(listing.tables)) sourceFileHashes[file] = sha256(bytes);

    report({ phase: 'writing', done: 0, total: rows.length });
    const { datasetId, removed, keptReferenced, split } = await db.transaction(async (tx) => {
      const dataset = await new DatasetStore(tx).upsert({ name, kind: input.kind, sourcePath, sourceFileHashes, labelRule: listing.labelRule });
      const recordStore = new RecordStore(tx);
      await recordStore.upsertMany(rows.map((row) => ({ ...row, datasetId: dataset.id })));
      // The dataset is what the source holds now: records gone from it go too (see removeAbsent).
      const pruned = await recordStore.removeAbsent(dataset.id, rows.map((row) => row.externalId));
      const splitSummary = input.split ? await splitDatasetRecords(tx, dataset.id, name, input.split) : undefined;
      return { datasetId: dataset.id, ...pruned, split: splitSummary };
    });
    report({ phase: 'done', done: rows.length, total: rows.length });

    const count = (label: string) => rows.filter((r) => r.label === label).length;
    return {
      datasetId,
      name,
      kind: input.kind,
      imported: rows.length,
      normal: count('normal'),
      abnormal: count('abnormal'),
      excluded: count('excluded'),
      missingFiles,
      qualityFlags: rows.filter((r) => r.quality?.limbLeadsConsistent === false).length,
      removed,
      keptReferenced,
      labelRule: listing.labelRule,
      ...(split ? { split } : {}),
    };
  } finally {
    await listing.source.close();
  }
}

function ignoreProgress(): void {
  // Progress is optional; callers without a display pass nothing.
}

type RecordRowWithoutDataset = Omit<NewRecordRow, 'datasetId'>;

async function readRecords(
  listing: DatasetListing,
  concurrency: number,
  onProgress: (progress: ImportProgress) => void,
): Promise<{ rows: RecordRowWithoutDataset[]; missingFiles: number }> {
  const total = listing.entries.length;
  const rows: (RecordRowWithoutDataset | null)[] = new Array(total).fill(null);
  let missingFiles = listing.missingHeaders.length;
  let next = 0;
  let done = 0;
  onProgress({ phase: 'reading', done, total });
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const entry = listing.entries[index];
      const loaded = await loadDatasetRecord(listing.source, entry);
      if (loaded.status === 'missing') {
        missingFiles++;
      } else {
        const { recording } = loaded;
        rows[index] = {
          externalId: entry.externalId,
          patientId: entry.patientId,
          fold: entry.fold,
          split: entry.split,
          label: entry.label,
          sourceCodes: entry.sourceCodes,
          samplingRateHz: recording.samplingRateHz,
          lengthSamples: recording.lengthSamples,
          ageYears: entry.ageYears ?? recording.ageYears ?? null,
          sex: entry.sex ?? recording.sex ?? null,
          signalPath: loaded.location,
          signalSha256: loaded.signalSha256,
          quality: { ...loaded.quality },
        };
      }
      onProgress({ phase: 'reading', done: ++done, total });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { rows: rows.filter((row): row is RecordRowWithoutDataset => row !== null), missingFiles };
}

/** `chapman-shaoxing-subset-400.tar.xz` -> `chapman-shaoxing-subset-400`; `.../ptbxl` -> `ptbxl`. */
export function defaultDatasetName(path: string): string {
  let name = basename(path);
  if (isZipArchive(name)) name = name.slice(0, -'.zip'.length);
  else if (isTarArchive(name)) name = name.replace(/\.(tar\.xz|txz|tar\.gz|tgz|tar\.bz2|tar)$/i, '');
  else if (name.toLowerCase().endsWith('.csv')) name = name.slice(0, -'.csv'.length);
  return name;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
