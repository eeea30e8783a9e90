import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_DRIVERS, insertFixtureRecords, openTestDatabase, type FixtureRecords, type TestDatabase } from '../testing.ts';
import { AttributionStore } from './attribution-store.ts';
import { PredictionStore, type PredictionCursor, type PredictionFilter, type PredictionPageOptions } from './prediction-store.ts';
import type { NewPrediction } from '../schema/predictions.ts';

// Ten predictions with hand-chosen labels and scores (threshold 0.5 gives the predicted label).
// Misclassified by hand: i=1 (true 1, score 0.30), i=4 (true 0, 0.70), i=7 (true 1, 0.45), i=8 (true 0, 0.55).
const TRUE_LABELS = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1] as const;
const SCORES = [0.1, 0.3, 0.2, 0.9, 0.7, 0.8, 0.4, 0.45, 0.55, 0.95];
const MISCLASSIFIED = [1, 4, 7, 8];

function predictionRows(f: FixtureRecords, runId = f.runId): NewPrediction[] {
  return SCORES.map((score, i) => ({
    runId,
    recordId: f.recordIds[i],
    datasetId: f.datasetId,
    split: 'test' as const,
    trueLabel: TRUE_LABELS[i],
    score,
    predictedLabel: score >= 0.5 ? 1 : 0,
  }));
}

describe.each(TEST_DRIVERS)('PredictionStore and AttributionStore on %s', (driver) => {
  let t: TestDatabase;
  let f: FixtureRecords;
  let store: PredictionStore;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.reset();
    f = await insertFixtureRecords(t.db, 10);
    store = new PredictionStore(t.db);
  });

  async function allPages(filter: PredictionFilter, options: PredictionPageOptions) {
    const ids: number[] = [];
    let cursor: PredictionCursor | null = null;
    do {
      const page = await store.page(filter, { ...options, cursor });
      ids.push(...page.items.map((p) => f.recordIds.indexOf(p.recordId)));
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  }

  it('upserts by (run, record): writing a run twice changes scores but never duplicates', async () => {
    expect(await store.upsertMany(predictionRows(f), { chunkSize: 3 })).toBe(10);
    const rescored = predictionRows(f).map((p) => ({ ...p, score: 1 - (p.score as number), predictedLabel: (p.score as number) >= 0.5 ? 0 : 1 }));
    await store.upsertMany(rescored);
    expect(await store.count({ runId: f.runId })).toBe(10);
    expect((await store.byRecord(f.recordIds[0]))[0].score).toBeCloseTo(0.9, 12);
  });

  it('pages a run by id with a cursor, and filters misclassified, label and score range', async () => {
    await store.upsertMany(predictionRows(f));
    expect(await allPages({ runId: f.runId }, { limit: 3 })).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await allPages({ runId: f.runId, misclassified: true }, { limit: 3 })).toEqual(MISCLASSIFIED);
    expect(await store.count({ runId: f.runId, misclassified: false })).toBe(6);
    // True label 1 and misclassified: i = 1 and 7.
    expect(await allPages({ runId: f.runId, misclassified: true, trueLabel: 1 }, { limit: 1 })).toEqual([1, 7]);
    // Scores in [0.4, 0.8]: i=4 (0.7), 5 (0.8), 6 (0.4), 7 (0.45), 8 (0.55).
    expect(await allPages({ runId: f.runId, scoreMin: 0.4, scoreMax: 0.8 }, { limit: 2 })).toEqual([4, 5, 6, 7, 8]);
  });

  it('pages in score order in both directions with (score, id) cursors, ties included', async () => {
    const rows = predictionRows(f);
    rows[2] = { ...rows[2], score: 0.1 }; // tie with i=0 at 0.1: ordered by id within the tie
    await store.upsertMany(rows);
    // Scores: 0:.1 1:.3 2:.1 3:.9 4:.7 5:.8 6:.4 7:.45 8:.55 9:.95, sorted ascending by (score, id).
    const ascending = [0, 2, 1, 6, 7, 8, 4, 5, 3, 9];
    expect(await allPages({ runId: f.runId }, { sort: 'scoreAsc', limit: 3 })).toEqual(ascending);
    expect(await allPages({ runId: f.runId }, { sort: 'scoreDesc', limit: 4 })).toEqual([...ascending].reverse());
  });

  it('returns labels and scores of a run for metrics, in record order', async () => {
    await store.upsertMany(predictionRows(f));
    const scored = await store.scoredLabels(f.runId, { datasetId: f.datasetId, split: 'test' });
    expect(scored.map((s) => s.trueLabel)).toEqual([...TRUE_LABELS]);
    expect(scored.map((s) => s.score)).toEqual(SCORES);
  });

  it('aggregates lead-group attributions per group and record label, skipping nulls', async () => {
    const attributions = new AttributionStore(t.db);
    // Fixture labels: even index normal, odd abnormal. Records 0,1,2,3 get inferior-group values.
    await attributions.upsertMany([
      { runId: f.runId, recordId: f.recordIds[0], groupName: 'inferior', attentionWeight: 0.2, occlusionDelta: -0.1 },
      { runId: f.runId, recordId: f.recordIds[2], groupName: 'inferior', attentionWeight: 0.4, occlusionDelta: null },
      { runId: f.runId, recordId: f.recordIds[1], groupName: 'inferior', attentionWeight: 0.6, occlusionDelta: -0.3 },
      { runId: f.runId, recordId: f.recordIds[3], groupName: 'inferior', attentionWeight: 0.8, occlusionDelta: -0.5 },
    ]);
    // Re-writing one row overwrites it: record 3's weight becomes 1.0.
    await attributions.upsertMany([{ runId: f.runId, recordId: f.recordIds[3], groupName: 'inferior', attentionWeight: 1.0, occlusionDelta: -0.5 }]);
    const summary = await attributions.summarizeByLabel(f.runId);
    // abnormal: mean(0.6, 1.0) = 0.8, mean(-0.3, -0.5) = -0.4; normal: mean(0.2, 0.4) = 0.3, occlusion only -0.1.
    expect(summary.map((s) => [s.groupName, s.label, s.n])).toEqual([
      ['inferior', 'abnormal', 2],
      ['inferior', 'normal', 2],
    ]);
    expect(summary[0].meanAttentionWeight).toBeCloseTo(0.8, 12);
    expect(summary[0].meanOcclusionDelta).toBeCloseTo(-0.4, 12);
    expect(summary[1].meanAttentionWeight).toBeCloseTo(0.3, 12);
    expect(summary[1].meanOcclusionDelta).toBeCloseTo(-0.1, 12);
    expect(await attributions.byRecord(f.recordIds[3])).toHaveLength(1);
  });
});
