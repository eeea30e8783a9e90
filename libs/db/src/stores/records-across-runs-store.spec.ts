import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_DRIVERS, insertFixtureRecords, openTestDatabase, type FixtureRecords, type TestDatabase } from '../testing.ts';
import { runs } from '../schema/index.ts';
import { PredictionStore } from './prediction-store.ts';
import { RecordsAcrossRunsStore, type RecordAcrossRuns } from './records-across-runs-store.ts';

// Six records (true labels 0,1,0,1,0,1; splits train,val,test in turn) and three runs:
// A scores all six, B all six, C all but record 4. Misclassified by A (threshold 0.5): records 1 and 2.
const SCORES_A = [0.1, 0.4, 0.6, 0.9, 0.2, 0.8];
const SCORES_B = [0.3, 0.7, 0.1, 0.6, 0.5, 0.2];
const SCORES_C = [0.05, 0.95, 0.5, 0.35, null, 0.65];
const TRUE_LABELS = [0, 1, 0, 1, 0, 1];
const SPLITS = ['train', 'val', 'test', 'train', 'val', 'test'] as const;

describe.each(TEST_DRIVERS)('RecordsAcrossRunsStore on %s', (driver) => {
  let t: TestDatabase;
  let f: FixtureRecords;
  let runIds: number[];
  let store: RecordsAcrossRunsStore;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.reset();
    f = await insertFixtureRecords(t.db, 6);
    const created = await t.db
      .insert(runs)
      .values(['a', 'b', 'c'].map((name) => ({ experimentId: f.experimentId, kind: 'evaluate' as const, model: 'resnet18', name })))
      .returning();
    runIds = created.map((r) => r.id);
    const rows = [SCORES_A, SCORES_B, SCORES_C].flatMap((scores, run) =>
      scores.flatMap((score, i) =>
        score === null
          ? []
          : [{ runId: runIds[run]!, recordId: f.recordIds[i]!, datasetId: f.datasetId, split: SPLITS[i], trueLabel: TRUE_LABELS[i]!, score, predictedLabel: score >= 0.5 ? 1 : 0 }],
      ),
    );
    await new PredictionStore(t.db).upsertMany(rows);
    store = new RecordsAcrossRunsStore(t.db);
  });

  const row = (i: number, scores: (number | null)[]): RecordAcrossRuns => ({ recordId: f.recordIds[i]!, datasetId: f.datasetId, split: SPLITS[i], trueLabel: TRUE_LABELS[i]!, scores });

  it("lists the first run's records in record order with each run's score in the order asked, null where a run has none", async () => {
    const page = await store.page([runIds[2]!, runIds[0]!, runIds[1]!], {});
    // Run C first: record 4 is not among its records, so not on the page.
    expect(page.items).toEqual([0, 1, 2, 3, 5].map((i) => row(i, [SCORES_C[i]!, SCORES_A[i]!, SCORES_B[i]!])));
    const anchoredOnA = await store.page([runIds[0]!, runIds[2]!], {});
    expect(anchoredOnA.items[4]).toEqual(row(4, [SCORES_A[4]!, null]));
    expect(anchoredOnA.nextCursor).toBeNull();
  });

  it("filters by the first run's predictions: misclassified, true label, split and score range", async () => {
    const ids = async (filter: Parameters<RecordsAcrossRunsStore['page']>[1]) => (await store.page(runIds, filter)).items.map((r) => f.recordIds.indexOf(r.recordId));
    expect(await ids({ misclassified: true })).toEqual([1, 2]);
    expect(await ids({ misclassified: false })).toEqual([0, 3, 4, 5]);
    expect(await ids({ trueLabel: 1 })).toEqual([1, 3, 5]);
    expect(await ids({ split: 'test' })).toEqual([2, 5]);
    expect(await ids({ scoreMin: 0.4, scoreMax: 0.8 })).toEqual([1, 2, 5]);
    expect(await ids({ datasetId: f.datasetId + 1000 })).toEqual([]);
  });

  it('pages by record id without gaps or repeats', async () => {
    const seen: number[] = [];
    let after: number | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<RecordsAcrossRunsStore['page']>> = await store.page(runIds, {}, { afterRecordId: after, limit: 4 });
      seen.push(...page.items.map((r) => r.recordId));
      after = page.nextCursor;
      pages += 1;
    } while (after !== null);
    expect(pages).toBe(2);
    expect(seen).toEqual(f.recordIds);
  });

  it('refuses no runs and more than it compares', async () => {
    await expect(store.page([], {})).rejects.toThrow(/runIds: 1 to 20 runs, got 0/);
    await expect(store.page(Array.from({ length: 21 }, (_, i) => i + 1), {})).rejects.toThrow(/got 21/);
  });
});
