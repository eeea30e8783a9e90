import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ties1000 } from '@leadwise/metrics/testing';
import { runCli } from '../testing.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'leadwise-cli-stats-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = runCli;

async function writeTies1000(): Promise<string> {
  const d = ties1000();
  const rows = Array.from(d.labels, (y, i) => `${y},${d.scores.a[i]},${d.scores.b[i]},${d.scores.c[i]}`);
  const file = join(dir, 'ties1000.csv');
  await writeFile(file, `label,a,b,c\n${rows.join('\n')}\n`);
  return file;
}

describe('leadwise stats', () => {
  it('agrees with scikit-learn (AUC, AP to 1e-9) and pROC (DeLong z, p to 1e-6)', async () => {
    // Reference numbers: tools/reference/sklearn_metrics_reference.py and pROC_delong_reference.R,
    // dataset ties1000 (the same values as libs/metrics/src/reference-agreement.spec.ts).
    const { stdout, exitCode } = await run(['stats', await writeTies1000(), '--json', '--bootstrap', '0']);
    expect(exitCode).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ n: 1000, positives: 300, negatives: 700, bootstrap: null });
    const byName = Object.fromEntries(report.models.map((m: { name: string }) => [m.name, m]));
    expect(Math.abs(byName.a.auc - 0.7850238095238095)).toBeLessThan(1e-9);
    expect(Math.abs(byName.a.averagePrecision - 0.6376313809038991)).toBeLessThan(1e-9);
    expect(Math.abs(byName.b.averagePrecision - 0.4820150142867391)).toBeLessThan(1e-9);
    expect(Math.abs(byName.c.auc - 0.8194119047619048)).toBeLessThan(1e-9);
    expect(report.comparisons.map((c: { a: string; b: string }) => `${c.a}-${c.b}`)).toEqual(['a-b', 'a-c', 'b-c']);
    const [ab, ac, bc] = report.comparisons;
    expect(Math.abs(ab.z - 5.6067366329536314)).toBeLessThan(1e-6);
    expect(Math.abs(ab.pValue / 2.0617702544774508e-8 - 1)).toBeLessThan(1e-6);
    expect(Math.abs(ac.pValue - 0.087538161395544434)).toBeLessThan(1e-6);
    expect(Math.abs(bc.z - -7.4053113247487943)).toBeLessThan(1e-6);
    // Holm over three tests: the smallest p times 3, then running maxima.
    expect(bc.pValueHolm).toBeCloseTo(3 * bc.pValue, 20);
    expect(ab.pValueHolm).toBeCloseTo(2 * ab.pValue, 15);
    expect(ac.pValueHolm).toBeCloseTo(ac.pValue, 15);
  });

  it('prints bootstrap CIs, reproducible for a seed, and a readable table', async () => {
    const file = await writeTies1000();
    const first = JSON.parse((await run(['stats', file, '--json', '--bootstrap', '50', '--seed', '9', '--scores', 'a,c'])).stdout);
    const again = JSON.parse((await run(['stats', file, '--json', '--bootstrap', '50', '--seed', '9', '--scores', 'a,c'])).stdout);
    expect(first.models.map((m: { name: string }) => m.name)).toEqual(['a', 'c']);
    expect(first.models[0].aucBootstrapCi).toEqual(again.models[0].aucBootstrapCi);
    expect(first.models[0].aucBootstrapCi.lower).toBeLessThan(first.models[0].auc);
    expect(first.bootstrap).toEqual({ resamples: 50, seed: 9, method: 'stratified percentile bootstrap' });
    const human = (await run(['stats', file, '--bootstrap', '0'])).stdout;
    expect(human).toContain('n 1000, positives 300 (30.0%), negatives 700');
    expect(human).toContain('PR trapezoid (not AP)');
    expect(human).toMatch(/a\s+b\s+0\.1360\s+\[0\.0885, 0\.1836\]\s+5\.607\s+2\.06e-8\s+4\.12e-8/);
  });

  it('flags hard-label scores', async () => {
    const file = join(dir, 'hard.csv');
    await writeFile(file, 'label,llm\n0,0\n0,1\n0,0\n1,1\n1,0\n1,1\n');
    const report = JSON.parse((await run(['stats', file, '--json', '--bootstrap', '0'])).stdout);
    expect(report.models[0].hardLabel).toBe(true);
    expect((await run(['stats', file, '--bootstrap', '0'])).stdout).toContain('llm [hard labels]');
  });

  it.each([
    ['label,a\n0,0.1\n2,0.4\n1,0.3\n', ':3 (column label): label must be 0 or 1, got "2"'],
    ['label,a,b\n0,0.1,0.2\n1,0.4,NaN\n', ':3 (column b): score must be a number, got "NaN"'],
    ['label,a\n1,0.1\n1,0.4\n', ' (column label): needs both classes, got 2 positive and 0 negative label(s)'],
    ['outcome,a\n1,0.1\n0,0.4\n', ':1: no "label" column; columns are outcome, a'],
    ['label,a\n1,0.1\n0,0.2,0.3\n', ':3: not a valid CSV'],
  ])('reports bad input with file, line and column as one line (exit code 1): %j', async (csv, message) => {
    const file = join(dir, 'bad.csv');
    await writeFile(file, csv);
    const { stderr, exitCode } = await run(['stats', file, '--bootstrap', '0']);
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/^leadwise: [^\n]*\n$/);
    expect(stderr).toContain(`leadwise: ${file}${message}`);
  });
});
