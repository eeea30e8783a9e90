import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseCsvTable } from './csv-table.ts';
import type { DatasetEntry, DatasetListing, DatasetSplit } from './dataset-entry.ts';
import { DatasetError } from './errors.ts';
import { DirectoryFileSource } from './file-source.ts';
import { DEFAULT_IMPORT_LIMITS, type ImportLimits } from './import-limits.ts';
import { manifestLabel } from './label-rules.ts';

export const MANIFEST_FILE_NAME = 'manifest.csv';

const SPLIT_ALIASES: Record<string, DatasetSplit> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
};

/**
 * A generic labelled WFDB folder: a CSV with columns `path,label` and optional `patient_id,split`.
 * `path` is the record relative to the CSV (with or without `.hea`); `label` is normal, abnormal or
 * excluded; `split` is train, val (validation) or test. `manifestPath` is the CSV or a folder
 * holding `manifest.csv`.
 */
export async function loadManifestDataset(manifestPath: string, limits: ImportLimits = DEFAULT_IMPORT_LIMITS): Promise<DatasetListing> {
  let csvPath = resolve(manifestPath);
  const info = await stat(csvPath).catch(() => null);
  if (!info) throw new DatasetError('manifest not found', csvPath);
  if (info.isDirectory()) csvPath = join(csvPath, MANIFEST_FILE_NAME);
  const bytes = await readFile(csvPath).catch(() => {
    throw new DatasetError('manifest not found', csvPath);
  });
  const table = parseCsvTable(bytes, csvPath, ['path', 'label']);
  const seen = new Set<string>();
  const entries: DatasetEntry[] = table.rows.map(({ line, values }) => {
    const fail: (message: string, field: string) => never = (message, field) => {
      throw new DatasetError(message, csvPath, line, field);
    };
    const path = values.path.trim().replace(/\\/g, '/');
    if (path === '') fail('empty path', 'path');
    const externalId = path.endsWith('.hea') ? path.slice(0, -4) : path;
    if (seen.has(externalId)) fail(`duplicate record ${externalId}`, 'path');
    seen.add(externalId);
    const label = manifestLabel(values.label);
    if (!label) fail(`label "${values.label}" is not normal, abnormal or excluded`, 'label');
    const splitText = values.split?.trim().toLowerCase() ?? '';
    const split = splitText === '' ? null : (SPLIT_ALIASES[splitText] ?? fail(`split "${values.split}" is not train, val or test`, 'split'));
    return {
      externalId,
      headerPath: `${externalId}.hea`,
      patientId: values.patient_id?.trim() || null,
      fold: null,
      split,
      label,
      sourceCodes: [values.label.trim()],
      ageYears: null,
      sex: null,
    };
  });
  return {
    kind: 'manifest',
    source: new DirectoryFileSource([dirname(csvPath)], dirname(csvPath), limits),
    entries,
    labelRule: 'manifest-label-column',
    tables: { [basename(csvPath)]: bytes },
    missingHeaders: [],
  };
}
