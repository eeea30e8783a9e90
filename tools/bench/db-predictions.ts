/**
 * Data-layer benchmark: bulk prediction upsert throughput and the latency of one page of 100
 * predictions of a run (by id, misclassified only, sorted by score), sequential queries through
 * `PredictionStore`, plus the index PostgreSQL's planner picks for each page query.
 *
 *   npx tsx tools/bench/db-predictions.ts [records-per-run=10000] [runs=20] [pglite|postgres|all]
 *
 * Fresh databases from `openTestDatabase` (in-memory PGlite; PostgreSQL at TEST_DATABASE_URL).
 * Prints one JSON line per driver.
 */
import { sql } from 'drizzle-orm';
import {
  ExperimentStore,
  PredictionStore,
  RecordStore,
  RunStore,
  DatasetStore,
  queryRows,
  type DatabaseDriver,
  type NewPrediction,
  type PredictionFilter,
  type PredictionPageOptions,
} from '@leadwise/db';
import { openTestDatabase } from '@leadwise/db/testing';

const recordsPerRun = Number(process.argv[2] ?? 10_000);
const runCount = Number(process.argv[3] ?? 20);
const drivers: DatabaseDriver[] = (process.argv[4] ?? 'all') === 'all' ? ['pglite', 'postgres'] : [process.argv[4] as DatabaseDriver];

// Deterministic pseudo-random scores (mulberry32) so runs are comparable.
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sortedMs: number[], p: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))];
}

for (const driver of drivers) {
  const database = await openTestDatabase(driver);
  try {
    const { db } = database;
    const dataset = await new DatasetStore(db).upsert({ name: 'bench', kind: 'manifest', sourcePath: '/bench', labelRule: 'bench' });
    const recordIds = (
      await new RecordStore(db).upsertMany(
        Array.from({ length: recordsPerRun }, (_, i) => ({
          datasetId: dataset.id,
          externalId: `r${i}`,
          label: i % 2 ? ('abnormal' as const) : ('normal' as const),
          split: 'test' as const,
          sourceCodes: {},
          samplingRateHz: 100,
          lengthSamples: 1000,
          signalPath: `r${i}.hea`,
        })),
      )
    ).map((r) => r.id);
    const { experiment } = await new ExperimentStore(db).createOrGet({ name: 'bench', config: {}, configHash: 'bench' });
    const runStore = new RunStore(db);
    const store = new PredictionStore(db);
    const random = mulberry32(42);
    const runIds: number[] = [];
    let upsertMs = 0;
    for (let r = 0; r < runCount; r++) {
      const run = await runStore.create({ experimentId: experiment.id, kind: 'evaluate', model: 'bench', seed: r });
      runIds.push(run.id);
      const rows: NewPrediction[] = recordIds.map((recordId, i) => {
        const trueLabel = i % 2;
        // A model that is right about 80% of the time: the score leans towards the true label.
        const score = Math.min(1, Math.max(0, trueLabel * 0.35 + random() * 0.65));
        return { runId: run.id, recordId, datasetId: dataset.id, split: 'test', trueLabel, score, predictedLabel: score >= 0.5 ? 1 : 0 };
      });
      const start = performance.now();
      await store.upsertMany(rows);
      upsertMs += performance.now() - start;
    }
    if (driver === 'postgres') await db.execute(sql`analyze predictions`);

    const queries: Record<string, { filter: Omit<PredictionFilter, 'runId'>; options: PredictionPageOptions }> = {
      byId: { filter: {}, options: {} },
      misclassified: { filter: { misclassified: true }, options: {} },
      scoreDesc: { filter: {}, options: { sort: 'scoreDesc' } },
    };
    const latency: Record<string, { p50Ms: number; p95Ms: number; index: string }> = {};
    for (const [name, { filter, options }] of Object.entries(queries)) {
      const times: number[] = [];
      for (let i = 0; i < 200; i++) {
        const runId = runIds[i % runIds.length];
        // Half the requests start mid-list, as a client paging deeper would.
        const first = await store.page({ runId, ...filter }, { ...options, limit: 100 });
        const start = performance.now();
        await store.page({ runId, ...filter }, { ...options, limit: 100, cursor: i % 2 ? first.nextCursor : null });
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      const misclassifiedSql = filter.misclassified ? sql` and true_label <> predicted_label` : sql``;
      const order = options.sort === 'scoreDesc' ? sql`order by score desc, id desc` : sql`order by id`;
      const plan = await queryRows<{ 'QUERY PLAN': string }>(
        db,
        sql`explain select * from predictions where run_id = ${runIds[0]}${misclassifiedSql} ${order} limit 101`,
      );
      const index = plan.map((row) => row['QUERY PLAN']).join(' ').match(/using (\w+)/i)?.[1] ?? 'none';
      latency[name] = { p50Ms: +percentile(times, 50).toFixed(2), p95Ms: +percentile(times, 95).toFixed(2), index };
    }
    const total = recordsPerRun * runCount;
    console.log(
      JSON.stringify({
        driver,
        predictions: total,
        upsertPerS: Math.round(total / (upsertMs / 1000)),
        pageOf100: latency,
      }),
    );
  } finally {
    await database.close();
  }
}
