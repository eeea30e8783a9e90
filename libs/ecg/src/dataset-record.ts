import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { DatasetEntry, DatasetKind, DatasetListing } from './dataset-entry.ts';
import { loadCincDataset, type CincOptions } from './cinc-dataset.ts';
import { openFileSource, type FileSource } from './file-source.ts';
import { checkLimbLeadConsistency, LEAD_CONSISTENCY_TOLERANCE_MV } from './lead-quality.ts';
import { loadManifestDataset } from './manifest-dataset.ts';
import { loadPtbxlDataset, PTBXL_DATABASE_CSV, type PtbxlOptions } from './ptbxl-dataset.ts';
import { wfdbRecordFromHeader, type WfdbRecord } from './wfdb-record.ts';
import { parseWfdbHeader } from './wfdb-header.ts';
import { DatasetError } from './errors.ts';
import type { ImportLimits } from './import-limits.ts';

export interface OpenDatasetOptions {
  /** Where tar archives are extracted (see `resolveCacheDir`). */
  cacheDir: string;
  ptbxl?: PtbxlOptions;
  cinc?: CincOptions;
  /** Size limits checked before reading or extracting (default DEFAULT_IMPORT_LIMITS). */
  limits?: ImportLimits;
}

/** Opens a dataset of a kind from a folder, tar archive or PhysioNet zip and lists its records. */
export async function openDataset(kind: DatasetKind, path: string, options: OpenDatasetOptions): Promise<DatasetListing> {
  switch (kind) {
    case 'ptbxl':
      return loadPtbxlDataset(await openFileSource(path, { cacheDir: options.cacheDir, rootMarker: PTBXL_DATABASE_CSV, limits: options.limits }), options.ptbxl);
    case 'cinc':
      // PhysioNet zips hold everything under one top folder; its RECORDS file marks the root.
      return loadCincDataset(await openFileSource(path, { cacheDir: options.cacheDir, rootMarker: 'RECORDS', limits: options.limits }), options.cinc);
    case 'manifest':
      return loadManifestDataset(path, options.limits);
  }
}

/** Per-record quality, stored with the record. */
export interface RecordQuality {
  /** III = II - I and the Goldberger relations hold within `toleranceMv` (false when a limb lead is missing). */
  limbLeadsConsistent: boolean;
  maxLimbResidualMv: number;
  toleranceMv: number;
  missingLeads: string[];
  /** Every signal's checksum and initial value was present in the header and matched. */
  checksumsVerified: boolean;
}

export type LoadedDatasetRecord =
  | { status: 'missing'; missingFile: string }
  | {
      status: 'loaded';
      recording: WfdbRecord;
      /** Header location that `readWfdbRecord` accepts. */
      location: string;
      /** sha256 (hex) over the record's signal files, in header order. */
      signalSha256: string;
      quality: RecordQuality;
    };

const textDecoder = new TextDecoder('utf-8');

/**
 * Reads, verifies and decodes one listed record. An absent header or signal file is reported as
 * `missing` (a counted skip); a present but bad file throws the reader's typed error.
 */
export async function loadDatasetRecord(source: FileSource, entry: DatasetEntry): Promise<LoadedDatasetRecord> {
  const headerBytes = entry.headerBytes ?? (await source.readFile(entry.headerPath));
  if (!headerBytes) return { status: 'missing', missingFile: entry.headerPath };
  const location = source.locate(entry.headerPath);
  const header = parseWfdbHeader(textDecoder.decode(headerBytes), location);
  const { maxSamplesPerRecord } = source.limits;
  if (header.samplesPerSignal !== null && header.samplesPerSignal > maxSamplesPerRecord) {
    throw new DatasetError(
      `declares ${header.samplesPerSignal} samples per lead, over the limit of ${maxSamplesPerRecord} per record (raise it with --max-samples)`,
      location,
    );
  }
  for (const spec of header.signals) {
    // Millivolts are adu / gain: an uncalibrated (0 or absent) or negative gain gives no usable ECG.
    if (spec.gainIsDefault || spec.gain <= 0) {
      throw new DatasetError(
        `signal ${spec.description || spec.fileName}: ADC gain ${spec.gainIsDefault ? '0 or absent (uncalibrated)' : spec.gain}; a record needs a positive gain to give millivolts`,
        location,
        spec.line,
        'gain',
      );
    }
  }
  const directory = posix.dirname(entry.headerPath);
  const files = new Map<string, Uint8Array>();
  const hash = createHash('sha256');
  for (const fileName of new Set(header.signals.map((s) => s.fileName))) {
    if (fileName === '~') continue;
    const relative = directory === '.' ? fileName : `${directory}/${fileName}`;
    const bytes = await source.readFile(relative);
    if (!bytes) return { status: 'missing', missingFile: relative };
    files.set(fileName, bytes);
    hash.update(bytes);
  }
  const recording = wfdbRecordFromHeader(header, (name) => files.get(name));
  const consistency = checkLimbLeadConsistency(recording, LEAD_CONSISTENCY_TOLERANCE_MV);
  return {
    status: 'loaded',
    recording,
    location,
    signalSha256: hash.digest('hex'),
    quality: {
      limbLeadsConsistent: consistency.consistent,
      maxLimbResidualMv: Number(consistency.maxResidualMv.toFixed(6)),
      toleranceMv: consistency.toleranceMv,
      missingLeads: consistency.missingLeads,
      checksumsVerified: header.signals.every((s) => s.checksum !== null),
    },
  };
}
