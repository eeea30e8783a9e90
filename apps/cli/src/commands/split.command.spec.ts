import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ecgTestDataPaths } from '@leadwise/ecg/testing';
import { runCli, useScratchDatabase } from '../testing.ts';

// The new user's path of issue 16, through the real commands on a fresh PostgreSQL database and the
// shared Chapman-Shaoxing archive (no folds): import, train refused with the fix named, split,
// re-split refused without --force, train a small ResNet18, evaluate, write its predictions CSV and
// read that back with `leadwise stats`.
const scratch = useScratchDatabase('leadwise_cli_split');

const SMALL_TRAIN = ['--profile', 'quick', '--input', '48x64', '--epochs', '1', '--max-train', '32', '--max-val', '16', '--max-test', '16'];

describe('leadwise split, train, evaluate, predictions on Chapman-Shaoxing', () => {
  it('runs the whole path on a dataset imported without folds', { timeout: 900_000 }, async () => {
    const archive = ecgTestDataPaths().chapmanArchive;
    const imported = await runCli(['import', 'cinc', archive, '--name', 'chapman', '--json']);
    expect(imported.exitCode, imported.stderr).toBe(0);
    const summary = JSON.parse(imported.stdout) as { imported: number; normal: number; abnormal: number; excluded: number };

    // Before a split: one line that names the fix, exit 1, no stack trace.
    const refused = await runCli(['train', '--model', 'resnet18', '--dataset', 'chapman', ...SMALL_TRAIN]);
    expect(refused.exitCode).toBe(1);
    // (The line before it, if any, is the backend notice of tfjs.)
    const refusal = refused.stderr.trimEnd().split('\n').at(-1);
    expect(refusal).toMatch(/^leadwise: dataset "chapman" has no train\/val split .*split it first: leadwise split chapman --train 0.6/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    const first = await runCli(['split', 'chapman', '--train', '0.6', '--val', '0.2', '--test', '0.2', '--seed', '3', '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    const split = JSON.parse(first.stdout) as { counts: { split: string; label: string; records: number }[]; patientsInSeveralSplits: number; changed: number };
    const count = (s: string, label?: string) => split.counts.filter((c) => c.split === s && (!label || c.label === label)).reduce((n, c) => n + c.records, 0);
    expect(count('train') + count('val') + count('test')).toBe(summary.imported);
    expect(split.patientsInSeveralSplits).toBe(0);
    // Stratified: each split's abnormal share within 2 points of the dataset's.
    const prevalence = summary.abnormal / (summary.normal + summary.abnormal);
    for (const s of ['train', 'val', 'test']) {
      expect(Math.abs(count(s, 'abnormal') / (count(s, 'abnormal') + count(s, 'normal')) - prevalence), s).toBeLessThan(0.02);
    }
    expect(Math.abs(count('train') / summary.imported - 0.6)).toBeLessThan(0.02);

    const again = await runCli(['split', 'chapman', '--seed', '3']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr.trim()).toMatch(/^leadwise: dataset "chapman" already has splits \(train \d+, val \d+, test \d+\); add --force/);
    const same = await runCli(['split', 'chapman', '--seed', '3', '--force', '--json']);
    expect(JSON.parse(same.stdout)).toMatchObject({ changed: 0, counts: split.counts });
    const other = await runCli(['split', 'chapman', '--seed', '4', '--force', '--json']);
    expect(JSON.parse(other.stdout).changed).toBeGreaterThan(0);
    await runCli(['split', 'chapman', '--seed', '3', '--force']);

    // A re-import of a source without folds keeps the stored split.
    await runCli(['import', 'cinc', archive, '--name', 'chapman']);
    const listed = JSON.parse((await runCli(['datasets', '--json'])).stdout) as { name: string; splits: Record<string, { records: number }> }[];
    expect(listed[0].splits.train.records).toBe(count('train'));

    const usage = await runCli(['split', 'chapman', '--train', '0.7']);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr.trim()).toBe('leadwise: --train, --val and --test must sum to 1, got 1.1');

    const trained = await runCli(['train', '--model', 'resnet18', '--dataset', 'chapman', '--seed', '1', ...SMALL_TRAIN, '--json']);
    expect(trained.exitCode, trained.stderr).toBe(0);
    const trainRunId = (JSON.parse(trained.stdout) as { runId: number }).runId;

    const noPredictions = await runCli(['predictions', '--run', String(trainRunId)]);
    expect(noPredictions.exitCode).toBe(1);
    expect(noPredictions.stderr).toContain(`leadwise evaluate --run ${trainRunId}`);

    const evaluated = await runCli(['evaluate', '--run', String(trainRunId), '--dataset', 'chapman', '--split', 'test', '--max', '24', '--json']);
    expect(evaluated.exitCode, evaluated.stderr).toBe(0);
    const evaluationRunId = (JSON.parse(evaluated.stdout) as { evaluationRunId: number }).evaluationRunId;

    const csvPath = join(scratch.home(), 'predictions.csv');
    const written = await runCli(['predictions', '--run', String(evaluationRunId), '--csv', '--out', csvPath]);
    expect(written.exitCode, written.stderr).toBe(0);
    const rows = parse(await readFile(csvPath, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(24);
    expect(Object.keys(rows[0]).slice(0, 8)).toEqual(['record_id', 'external_id', 'dataset', 'split', 'label', 'score', 'predicted_label', 'threshold']);
    for (const row of rows) {
      expect(row.dataset).toBe('chapman');
      expect(row.split).toBe('test');
      expect(row.external_id).toMatch(/^JS\d+/);
      expect(Number(row.predicted_label)).toBe(Number(row.score) >= Number(row.threshold) ? 1 : 0);
      expect(Number(row.occlusion_inferior)).not.toBeNaN();
    }

    const stats = await runCli(['stats', csvPath, '--bootstrap', '0', '--json']);
    expect(stats.exitCode, stats.stderr).toBe(0);
    const report = JSON.parse(stats.stdout) as { n: number; models: { name: string; auc: number }[] };
    expect(report.n).toBe(24);
    expect(report.models[0].name).toBe('score');

    const json = JSON.parse((await runCli(['predictions', '--run', String(evaluationRunId), '--json'])).stdout) as { rows: unknown[]; threshold: number };
    expect(json.rows).toHaveLength(24);
    expect(json.threshold).toBe(0.5);
  });
});
