import { RunStore } from '@leadwise/db';
import { insertFixtureRecords, openTestDatabase, type TestDatabase } from '@leadwise/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordEvaluationMetrics } from './record-evaluation-metrics.ts';
import { SUMMARY_METRIC_KEYS } from './summary-metrics.ts';

describe('recordEvaluationMetrics', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('pglite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is idempotent: a retried evaluation logs each summary metric once', async () => {
    const { runId } = await insertFixtureRecords(t.db, 0);
    const labels = [0, 0, 1, 1];
    const scores = [0.1, 0.4, 0.35, 0.8];
    await recordEvaluationMetrics(t.db, runId, labels, scores, { resamples: 50 });
    const again = await recordEvaluationMetrics(t.db, runId, labels, scores, { resamples: 50 });
    expect(again.rocAuc).toBeCloseTo(0.75, 10);
    const series = await new RunStore(t.db).getMetricSeries(runId, SUMMARY_METRIC_KEYS.rocAuc);
    expect(series.map((m) => m.value)).toEqual([0.75]);
  });
});
