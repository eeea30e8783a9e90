import { posix } from 'node:path';
import type { DatasetEntry, DatasetListing } from './dataset-entry.ts';
import type { FileSource } from './file-source.ts';
import { cincSinusOnlyIsNormal, type CincLabelRule } from './label-rules.ts';
import { parseWfdbHeader } from './wfdb-header.ts';
import type { Sex } from './recording.ts';

export interface CincOptions {
  labelRule?: CincLabelRule;
}

const textDecoder = new TextDecoder('utf-8');

/**
 * Lists a PhysioNet/CinC Challenge dataset (WFDB `.hea` + `.mat` per record, SNOMED-CT codes on a
 * `#Dx:` comment, demographics on `#Age:` / `#Sex:`). When a `RECORDS` file exists it is the list
 * (a named record whose header is absent is a counted skip); otherwise every `.hea` is a record.
 */
export async function loadCincDataset(source: FileSource, options: CincOptions = {}): Promise<DatasetListing> {
  const labelRule = options.labelRule ?? cincSinusOnlyIsNormal;
  const files = await source.listFiles();
  const headerPaths = await recordHeaderPaths(source, files);
  const entries: DatasetEntry[] = [];
  const missingHeaders: string[] = [];
  const seen = new Set<string>();

  for (const headerPath of headerPaths) {
    const headerBytes = await source.readFile(headerPath);
    if (!headerBytes) {
      missingHeaders.push(headerPath);
      continue;
    }
    const header = parseWfdbHeader(textDecoder.decode(headerBytes), source.locate(headerPath));
    if (seen.has(header.recordName)) continue;
    seen.add(header.recordName);
    const dx = header.commentFields.Dx ?? '';
    const dxCodes = dx
      .split(',')
      .map((code) => code.trim())
      .filter((code) => code !== '');
    entries.push({
      externalId: header.recordName,
      headerPath,
      patientId: null,
      fold: null,
      split: null,
      label: labelRule(dxCodes),
      sourceCodes: dxCodes,
      ageYears: parseAge(header.commentFields.Age),
      sex: parseSex(header.commentFields.Sex),
      headerBytes,
    });
  }
  return { kind: 'cinc', source, entries, labelRule: labelRule.ruleName, tables: {}, missingHeaders };
}

/** Header paths from `RECORDS` files (PhysioNet lists records per directory) or from the file list. */
async function recordHeaderPaths(source: FileSource, files: string[]): Promise<string[]> {
  const recordsFiles = files.filter((f) => posix.basename(f) === 'RECORDS');
  if (recordsFiles.length === 0) return files.filter((f) => f.endsWith('.hea'));
  const paths: string[] = [];
  for (const recordsFile of recordsFiles) {
    const dir = posix.dirname(recordsFile);
    const text = textDecoder.decode((await source.readFile(recordsFile)) ?? new Uint8Array());
    for (const line of text.split(/\r?\n/)) {
      const name = line.trim();
      if (name === '' || name.startsWith('#')) continue;
      // A RECORDS line may name a subdirectory (`01/010/`) holding its own RECORDS file.
      if (name.endsWith('/')) continue;
      paths.push(dir === '.' ? `${name}.hea` : `${dir}/${name}.hea`);
    }
  }
  return paths.sort();
}

function parseAge(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '') return null;
  const age = Number(text);
  return Number.isFinite(age) && age >= 0 ? age : null;
}

function parseSex(text: string | undefined): Sex | null {
  const value = text?.trim().toLowerCase();
  if (value === 'male' || value === 'm') return 'male';
  if (value === 'female' || value === 'f') return 'female';
  return null;
}
