import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { compareModels, MetricsInputError, type ModelComparisonReport } from '@leadwise/metrics';
import { createProgressBar, printResult } from '../cli-kit.ts';

/** Bad stats input, named by file, line and column so that a person can open the CSV and fix it. */
export class StatsInputError extends Error {
  override name = 'StatsInputError';
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | null = null,
    readonly column: string | null = null,
  ) {
    super(`${file}${line !== null ? `:${line}` : ''}${column ? ` (column ${column})` : ''}: ${message}`);
  }
}

export interface ScoreTable {
  labels: Uint8Array;
  scores: Record<string, Float64Array>;
  /** File line of each data row (1-based, header on line 1 for a plain CSV). */
  lines: number[];
}

/** Reads a CSV with a 0/1 label column and numeric score columns; every cell is checked. */
export function readScoreTable(file: string, labelColumn = 'label', scoreColumns?: string[]): ScoreTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StatsInputError(`cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, file);
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // csv-parse's typings do not model `info: true`, which wraps each record with its line number.
    records = parse(text, { info: true, skip_empty_lines: true, trim: true, bom: true }) as unknown as typeof records;
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? null;
    throw new StatsInputError(`not a valid CSV: ${(error as Error).message}`, file, line);
  }
  if (records.length === 0) throw new StatsInputError('the file is empty', file);
  const header = records[0].record;
  const rows = records.slice(1);
  const labelIndex = header.indexOf(labelColumn);
  if (labelIndex < 0) throw new StatsInputError(`no "${labelColumn}" column; columns are ${header.join(', ')}`, file, records[0].info.lines);
  // A `leadwise predictions` file: its one score column is `score` (the others are ids, text and weights).
  const predictionsFile = ['record_id', 'score', 'predicted_label'].every((c) => header.includes(c));
  const chosen = scoreColumns ?? (predictionsFile ? ['score'] : header.filter((c) => c !== labelColumn));
  if (chosen.length === 0) throw new StatsInputError(`needs at least one score column besides "${labelColumn}"`, file, records[0].info.lines);
  for (const column of chosen) {
    if (!header.includes(column)) throw new StatsInputError(`no "${column}" column; columns are ${header.join(', ')}`, file, records[0].info.lines);
    if (column === labelColumn) throw new StatsInputError(`"${column}" is the label column, not a score column`, file, records[0].info.lines);
  }
  if (rows.length === 0) throw new StatsInputError('no data rows after the header', file);
  const labels = new Uint8Array(rows.length);
  const scores = Object.fromEntries(chosen.map((c) => [c, new Float64Array(rows.length)]));
  const columnIndex = chosen.map((c) => header.indexOf(c));
  const lines = rows.map((r) => r.info.lines);
  rows.forEach(({ record }, r) => {
    const label = record[labelIndex];
    if (label !== '0' && label !== '1') throw new StatsInputError(`label must be 0 or 1, got ${JSON.stringify(label)}`, file, lines[r], labelColumn);
    labels[r] = label === '1' ? 1 : 0;
    chosen.forEach((column, k) => {
      const cell = record[columnIndex[k]];
      const value = cell === '' ? NaN : Number(cell);
      if (Number.isNaN(value)) throw new StatsInputError(`score must be a number, got ${JSON.stringify(cell)}`, file, lines[r], column);
      scores[column][r] = value;
    });
  });
  return { labels, scores, lines };
}

function formatP(p: number): string {
  if (p === 0) return '<1e-300';
  return p < 1e-4 ? p.toExponential(2) : p.toFixed(4);
}

const f4 = (x: number) => x.toFixed(4);
const interval = (ci: { lower: number; upper: number } | null) => (ci ? `[${f4(ci.lower)}, ${f4(ci.upper)}]` : '-');

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

function formatReport(file: string, r: ModelComparisonReport): string {
  const pct = Math.round(r.level * 100);
  const out = [
    `${file}: n ${r.n}, positives ${r.positives} (${(100 * r.prevalence).toFixed(1)}%), negatives ${r.negatives}`,
    r.bootstrap ? `bootstrap: ${r.bootstrap.resamples} stratified resamples, seed ${r.bootstrap.seed}, percentile ${pct}% CIs` : 'bootstrap: off',
    '',
    table([
      ['score', 'AUC', `${pct}% CI DeLong`, `${pct}% CI bootstrap`, 'AP', `${pct}% CI bootstrap`, 'PR trapezoid (not AP)'],
      ...r.models.map((m) => [
        m.hardLabel ? `${m.name} [hard labels]` : m.name,
        f4(m.auc),
        interval(m.aucDelongCi),
        interval(m.aucBootstrapCi),
        f4(m.averagePrecision),
        interval(m.averagePrecisionBootstrapCi),
        f4(m.prAucTrapezoid),
      ]),
    ]),
  ];
  for (const m of r.models) if (m.note) out.push(`note: ${m.name}: ${m.note}`);
  if (r.comparisons.length > 0) {
    out.push('', `DeLong paired tests (two-sided; Holm-adjusted over ${r.comparisons.length} comparison${r.comparisons.length > 1 ? 's' : ''})`);
    out.push(
      table([
        ['A', 'B', 'AUC A-B', `${pct}% CI`, 'z', 'p', 'p Holm'],
        ...r.comparisons.map((c) => [c.a, c.b, f4(c.difference), interval(c), c.z.toFixed(3), formatP(c.pValue), formatP(c.pValueHolm)]),
      ]),
    );
  }
  return out.join('\n');
}

function nonNegativeInt(value: string, flag: string, file: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new StatsInputError(`${flag} must be a non-negative integer, got ${JSON.stringify(value)}`, file);
  return n;
}

export function register(program: Command): void {
  program
    .command('stats')
    .description('ROC-AUC and average precision with DeLong and bootstrap CIs, and DeLong tests between score columns, from a CSV')
    .argument('<csv>', 'CSV with a 0/1 label column and one or more score columns')
    .option('--label <column>', 'label column', 'label')
    .option('--scores <columns>', 'comma-separated score columns (default: every column but the label; "score" for a leadwise predictions file)')
    .option('--bootstrap <n>', 'stratified bootstrap resamples for the CIs (0: skip)', '2000')
    .option('--seed <s>', 'bootstrap seed', '1')
    .option('--level <p>', 'confidence level', '0.95')
    .option('--json', 'print JSON')
    .action((file: string, opts: { label: string; scores?: string; bootstrap: string; seed: string; level: string; json?: boolean }) => {
      const resamples = nonNegativeInt(opts.bootstrap, '--bootstrap', file);
      const seed = nonNegativeInt(opts.seed, '--seed', file);
      const level = Number(opts.level);
      if (!(level > 0 && level < 1)) throw new StatsInputError(`--level must lie in (0, 1), got ${JSON.stringify(opts.level)}`, file);
      const columns = opts.scores?.split(',').map((c) => c.trim());
      const table = readScoreTable(file, opts.label, columns);
      const bar = resamples > 0 ? createProgressBar('bootstrap', 0) : null;
      let report: ModelComparisonReport;
      try {
        report = compareModels(table.labels, table.scores, { bootstrapResamples: resamples, seed, level, onProgress: bar ? (done, total) => bar.update(done, total) : undefined }, opts.label);
      } catch (error) {
        // The library names the column; add the file and, where one row is at fault, its line.
        if (error instanceof MetricsInputError) {
          throw new StatsInputError(error.message.slice(error.message.indexOf(': ') + 2), file, error.index !== null ? table.lines[error.index] : null, error.field);
        }
        throw error;
      } finally {
        bar?.stop();
      }
      printResult({ file, ...report }, opts.json, (r) => formatReport(file, r));
    });
}
