import { DatasetError } from './errors.ts';
import { parseCsvTable } from './csv-table.ts';
import type { DatasetEntry, DatasetListing, DatasetSplit } from './dataset-entry.ts';
import type { FileSource } from './file-source.ts';
import { ptbxlNormalVsAbnormal, type PtbxlLabelRule, type ScpStatement } from './label-rules.ts';
import type { Sex } from './recording.ts';

export const PTBXL_DATABASE_CSV = 'ptbxl_database.csv';
export const PTBXL_STATEMENTS_CSV = 'scp_statements.csv';

/**
 * The split our copy of PTB-XL supports (signals exist for folds 1, 2, 3 and 9): train on 1-2,
 * validate on 3, test on 9 (data README). Other folds get no split; the fold is kept regardless.
 */
export function ptbxlDefaultSplit(fold: number): DatasetSplit | null {
  if (fold === 1 || fold === 2) return 'train';
  if (fold === 3) return 'val';
  if (fold === 9) return 'test';
  return null;
}

/** The split of the PTB-XL paper for the full dataset: train 1-8, validate 9, test 10. */
export function ptbxlPaperSplit(fold: number): DatasetSplit | null {
  if (fold >= 1 && fold <= 8) return 'train';
  if (fold === 9) return 'val';
  if (fold === 10) return 'test';
  return null;
}

export interface PtbxlOptions {
  labelRule?: PtbxlLabelRule;
  splitOfFold?: (fold: number) => DatasetSplit | null;
  /** 100 Hz (`filename_lr`, default) or 500 Hz (`filename_hr`) records. */
  samplingRateHz?: 100 | 500;
}

/** Reads PTB-XL's tables from a source and lists every row as a record entry. */
export async function loadPtbxlDataset(source: FileSource, options: PtbxlOptions = {}): Promise<DatasetListing> {
  const labelRule = options.labelRule ?? ptbxlNormalVsAbnormal;
  const splitOfFold = options.splitOfFold ?? ptbxlDefaultSplit;
  const filenameColumn = options.samplingRateHz === 500 ? 'filename_hr' : 'filename_lr';

  const statementsBytes = await requireTable(source, PTBXL_STATEMENTS_CSV);
  const databaseBytes = await requireTable(source, PTBXL_DATABASE_CSV);
  const statements = parseScpStatements(statementsBytes, source.locate(PTBXL_STATEMENTS_CSV));
  const databaseFile = source.locate(PTBXL_DATABASE_CSV);
  const table = parseCsvTable(databaseBytes, databaseFile, ['ecg_id', 'patient_id', 'age', 'sex', 'scp_codes', 'strat_fold', filenameColumn]);

  const seen = new Set<string>();
  let line = 0;
  // Declared once, not per row: a closure per row of 21,799 showed up in import profiles.
  const fail: (message: string, field: string) => never = (message, field) => {
    throw new DatasetError(message, databaseFile, line, field);
  };
  const entries: DatasetEntry[] = table.rows.map((row) => {
    line = row.line;
    const values = row.values;
    const ecgId = values.ecg_id.trim();
    if (!/^\d+$/.test(ecgId)) fail(`invalid ecg_id "${values.ecg_id}"`, 'ecg_id');
    if (seen.has(ecgId)) fail(`duplicate ecg_id ${ecgId}`, 'ecg_id');
    seen.add(ecgId);
    const fold = Number(values.strat_fold);
    if (!Number.isInteger(fold) || fold < 1) fail(`invalid strat_fold "${values.strat_fold}"`, 'strat_fold');
    const scpCodes = parseScpCodes(values.scp_codes, databaseFile, line);
    const filename = values[filenameColumn].trim();
    if (filename === '') fail('empty record file name', filenameColumn);
    return {
      externalId: ecgId,
      headerPath: `${filename}.hea`,
      patientId: parseIdentifier(values.patient_id),
      fold,
      split: splitOfFold(fold),
      label: labelRule(scpCodes, statements),
      sourceCodes: scpCodes,
      ageYears: ptbxlAgeYears(parseOptionalNumber(values.age, databaseFile, line, 'age')),
      sex: parsePtbxlSex(values.sex, databaseFile, line),
    };
  });

  return {
    kind: 'ptbxl',
    source,
    entries,
    labelRule: labelRule.ruleName,
    tables: { [PTBXL_DATABASE_CSV]: databaseBytes, [PTBXL_STATEMENTS_CSV]: statementsBytes },
    missingHeaders: [],
  };
}

async function requireTable(source: FileSource, name: string): Promise<Uint8Array> {
  const bytes = await source.readFile(name);
  if (!bytes) throw new DatasetError(`PTB-XL table ${name} not found`, source.description, null, name);
  return bytes;
}

/** Parses scp_statements.csv: the first (unnamed) column is the statement code. */
export function parseScpStatements(bytes: Uint8Array, file: string): Map<string, ScpStatement> {
  const table = parseCsvTable(bytes, file, ['diagnostic', 'rhythm', 'diagnostic_class']);
  const codeColumn = table.columns[0];
  const flag = (text: string | undefined) => text !== undefined && text.trim() !== '' && Number(text) === 1;
  const statements = new Map<string, ScpStatement>();
  for (const { values } of table.rows) {
    const code = values[codeColumn].trim();
    statements.set(code, {
      code,
      diagnostic: flag(values.diagnostic),
      form: flag(values.form),
      rhythm: flag(values.rhythm),
      diagnosticClass: values.diagnostic_class?.trim() || null,
    });
  }
  return statements;
}

/**
 * Parses PTB-XL's `scp_codes`, a Python dict literal such as `{'NORM': 100.0, 'SR': 0.0}`.
 * Only string keys and numeric values are accepted; anything else is a DatasetError naming the line.
 */
export function parseScpCodes(text: string, file: string, line: number | null): Record<string, number> {
  const fail: (why: string) => never = (why) => {
    throw new DatasetError(`unparseable scp_codes ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)}: ${why}`, file, line, 'scp_codes');
  };
  const codes: Record<string, number> = {};
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  skipSpace();
  if (text[i] !== '{') fail('expected "{"');
  i++;
  skipSpace();
  if (text[i] === '}') {
    i++;
  } else {
    for (;;) {
      skipSpace();
      const quote = text[i];
      if (quote !== "'" && quote !== '"') fail(`expected a quoted code at position ${i}`);
      const end = text.indexOf(quote, i + 1);
      if (end < 0) fail('unterminated code');
      const code = text.slice(i + 1, end);
      if (code === '' || code.includes('\\')) fail(`invalid code at position ${i}`);
      i = end + 1;
      skipSpace();
      if (text[i] !== ':') fail(`expected ":" at position ${i}`);
      i++;
      skipSpace();
      const number = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
      if (!number) fail(`expected a number at position ${i}`);
      codes[code] = Number(number[0]);
      i += number[0].length;
      skipSpace();
      if (text[i] === ',') {
        i++;
        skipSpace();
        if (text[i] === '}') {
          i++;
          break;
        }
        continue;
      }
      if (text[i] === '}') {
        i++;
        break;
      }
      fail(`expected "," or "}" at position ${i}`);
    }
  }
  skipSpace();
  if (i !== text.length) fail(`unexpected text after "}" at position ${i}`);
  return codes;
}

/** PTB-XL writes 300 for patients older than 89 (de-identification, as HIPAA asks). */
export const PTBXL_AGE_OVER_89 = 300;

/**
 * Age in years, with PTB-XL's 300 ("older than 89") recorded as 90, the lower bound, so that
 * summaries of age stay meaningful (293 of the 21,799 rows carry it).
 */
export function ptbxlAgeYears(age: number | null): number | null {
  return age === PTBXL_AGE_OVER_89 ? 90 : age;
}

/** `15709.0` -> `15709`: pandas wrote integer ids as floats. */
function parseIdentifier(text: string | undefined): string | null {
  const value = text?.trim() ?? '';
  if (value === '') return null;
  return /^\d+\.0+$/.test(value) ? value.slice(0, value.indexOf('.')) : value;
}

function parseOptionalNumber(text: string | undefined, file: string, line: number, field: string): number | null {
  const value = text?.trim() ?? '';
  if (value === '') return null;
  const number = Number(value);
  if (!Number.isFinite(number)) throw new DatasetError(`invalid ${field} "${value}"`, file, line, field);
  return number;
}

/** PTB-XL codes sex as 0 = male, 1 = female. */
function parsePtbxlSex(text: string | undefined, file: string, line: number): Sex | null {
  const value = text?.trim() ?? '';
  if (value === '') return null;
  if (value === '0' || value === '0.0') return 'male';
  if (value === '1' || value === '1.0') return 'female';
  throw new DatasetError(`invalid sex "${value}" (expected 0 = male or 1 = female)`, file, line, 'sex');
}
