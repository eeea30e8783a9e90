/**
 * GraphQL API latency over 1,000,000 stored predictions, under 50 concurrent clients (autocannon on
 * loopback). Target (issue 6): p95 under 50 ms for a page of 100 misclassified predictions of one
 * run, and for the study summary.
 *
 *   npx tsx tools/bench/api.ts [--predictions 1000000] [--connections 50] [--duration 10]
 *
 * Needs PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test): it creates
 * the database `leadwise_bench_api` (reused on later runs when it already holds the data), starts
 * the real API as a separate process (`leadwise serve --no-worker`), and prints one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openDatabase, queryRows, type LeadwiseDatabase } from '@leadwise/db';
import { SUMMARY_METRIC_KEYS } from '@leadwise/study';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const totalPredictions = Number(args.get('predictions') ?? 1_000_000);
const connections = Number(args.get('connections') ?? 50);
const durationS = Number(args.get('duration') ?? 10);

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const adminUrl = process.env.TEST_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test';
const benchUrl = new URL(adminUrl);
benchUrl.pathname = '/leadwise_bench_api';

async function ensureDatabase(): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'leadwise_bench_api'`);
    if (!rowCount) await client.query('CREATE DATABASE leadwise_bench_api');
  } finally {
    await client.end();
  }
}

/**
 * One dataset of `n` records and one evaluation run predicting all of them (scores from a fixed
 * hash, about a quarter misclassified), plus a study of 4 models x 3 seeds x internal/external
 * evaluation runs carrying the summary metrics. Generated inside PostgreSQL: seconds, not minutes.
 */
async function load(db: LeadwiseDatabase, n: number): Promise<{ runId: number; experimentId: number; loadS: number }> {
  const existing = await queryRows<{ run_id: string; experiment_id: string; n: string }>(
    db,
    sql`SELECT r.id AS run_id, r.experiment_id, (SELECT count(*) FROM predictions p WHERE p.run_id = r.id) AS n
        FROM runs r WHERE r.name = 'bench-big-run'`,
  );
  if (existing[0] && Number(existing[0].n) === n) return { runId: Number(existing[0].run_id), experimentId: Number(existing[0].experiment_id), loadS: 0 };
  const started = Date.now();
  await db.execute(sql`TRUNCATE datasets, experiments RESTART IDENTITY CASCADE`);
  await db.execute(sql`INSERT INTO datasets (name, kind, source_path, label_rule) VALUES ('bench-internal', 'manifest', '/bench', 'manifest'), ('bench-external', 'manifest', '/bench-ext', 'manifest')`);
  await db.execute(sql`
    INSERT INTO records (dataset_id, external_id, split, label, source_codes, sampling_rate_hz, length_samples, signal_path)
    SELECT 1, 'r' || g, (ARRAY['train','val','test'])[1 + g % 3], CASE WHEN g % 5 < 2 THEN 'abnormal' ELSE 'normal' END, '[]'::jsonb, 100, 1000, 'r' || g
    FROM generate_series(1, ${n}) AS g`);
  await db.execute(sql`INSERT INTO experiments (name, config, config_hash) VALUES ('bench', '{"datasets":{"internal":{"name":"bench-internal"},"external":{"name":"bench-external"}}}'::jsonb, 'bench')`);
  await db.execute(sql`INSERT INTO runs (experiment_id, name, kind, model, seed, status, dataset_id) VALUES (1, 'bench-big-run', 'evaluate', 'resnet18', 1, 'finished', 1)`);
  // score: a hash of the record id in [0, 1), shifted up for abnormal records so the run is a decent classifier.
  await db.execute(sql`
    INSERT INTO predictions (run_id, record_id, dataset_id, split, true_label, score, predicted_label)
    SELECT 1, id, 1, split, t.y, t.s, CASE WHEN t.s >= 0.5 THEN 1 ELSE 0 END
    FROM records, LATERAL (SELECT CASE WHEN label = 'abnormal' THEN 1 ELSE 0 END AS y,
                                  least(0.999999, ((id * 2654435761) % 1000003) / 1000003.0 * 0.8 + CASE WHEN label = 'abnormal' THEN 0.2 ELSE 0 END) AS s) t`);
  const models = ['leadgroup', 'resnet18', 'densenet121', 'vgg16'];
  let metricRunId = 1;
  for (const [m, model] of models.entries()) {
    for (const seed of [1, 2, 3]) {
      for (const datasetId of [1, 2]) {
        await db.execute(sql`INSERT INTO runs (experiment_id, kind, model, seed, status, dataset_id) VALUES (1, 'evaluate', ${model}, ${seed}, 'finished', ${datasetId})`);
        metricRunId++;
        const auc = 0.8 + 0.02 * m + 0.005 * seed - 0.05 * (datasetId - 1);
        const values: Record<string, number> = {
          [SUMMARY_METRIC_KEYS.n]: 2000,
          [SUMMARY_METRIC_KEYS.positives]: 800,
          [SUMMARY_METRIC_KEYS.rocAuc]: auc,
          [SUMMARY_METRIC_KEYS.rocAucCiLow]: auc - 0.02,
          [SUMMARY_METRIC_KEYS.rocAucCiHigh]: auc + 0.02,
          [SUMMARY_METRIC_KEYS.prAuc]: auc - 0.1,
          [SUMMARY_METRIC_KEYS.prAucCiLow]: auc - 0.12,
          [SUMMARY_METRIC_KEYS.prAucCiHigh]: auc - 0.08,
        };
        for (const [key, value] of Object.entries(values)) {
          await db.execute(sql`INSERT INTO run_latest_metrics (run_id, key, value, step, timestamp) VALUES (${metricRunId}, ${key}, ${value}, 0, now())`);
        }
      }
    }
  }
  await db.execute(sql`ANALYZE`);
  return { runId: 1, experimentId: 1, loadS: (Date.now() - started) / 1000 };
}

async function startApi(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(repoRoot, 'apps/cli/bin/leadwise.mjs'), 'serve', '--no-worker', '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: benchUrl.toString() },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('{')) return { url: (JSON.parse(line) as { url: string }).url, child };
  }
  throw new Error('leadwise serve exited before printing its URL');
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

/** CPU time (user + system) the process has used, in ms, from /proc (Linux); null elsewhere. */
function processCpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks are 1/100 s on Linux
  } catch {
    return null;
  }
}

async function measure(url: string, serverPid: number, name: string, query: string, variables: Record<string, unknown>) {
  const body = JSON.stringify({ query, variables });
  // Check the answer once before loading the server with it.
  const probe = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const probeJson = (await probe.json()) as { errors?: unknown };
  if (probeJson.errors) throw new Error(`${name}: ${JSON.stringify(probeJson.errors)}`);
  const latenciesMs: number[] = [];
  const cpuBeforeMs = processCpuMs(serverPid);
  const instance = autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: durationS });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => latenciesMs.push(responseTimeMs));
  const result = await instance;
  const cpuAfterMs = processCpuMs(serverPid);
  latenciesMs.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    query: name,
    requests: result.requests.total,
    requestsPerS: round(result.requests.average),
    errors: result.errors + result.non2xx + result.timeouts,
    p50Ms: round(percentile(latenciesMs, 0.5)),
    p95Ms: round(percentile(latenciesMs, 0.95)),
    p99Ms: round(percentile(latenciesMs, 0.99)),
    // Load-independent cost: the API process's CPU time per answered request.
    serverCpuMsPerRequest: cpuBeforeMs === null || cpuAfterMs === null ? null : round((cpuAfterMs - cpuBeforeMs) / Math.max(latenciesMs.length, 1)),
  };
}

await ensureDatabase();
const handle = await openDatabase({ databaseUrl: benchUrl.toString() });
const { runId, experimentId, loadS } = await load(handle.db, totalPredictions);
const [{ misclassified }] = (await queryRows<{ misclassified: string }>(
  handle.db,
  sql`SELECT count(*) AS misclassified FROM predictions WHERE run_id = ${runId} AND true_label <> predicted_label`,
)) as [{ misclassified: string }];
await handle.close();

const { url, child } = await startApi();
try {
  const page = `query($run: Int!) { predictions(runId: $run, misclassified: true, first: 100) {
    nodes { id recordId score trueLabel predictedLabel } pageInfo { hasNextPage endCursor } } }`;
  const summary = `query($e: Int!) { studySummary(experimentId: $e) { rows { model role dataset n seeds
    rocAuc { mean sd ciLow ciHigh } prAuc { mean sd ciLow ciHigh } } } }`;
  const results = [];
  results.push(await measure(url, child.pid!, 'misclassified page (100)', page, { run: runId }));
  results.push(await measure(url, child.pid!, 'study summary', summary, { e: experimentId }));
  process.stdout.write(
    `${JSON.stringify({ predictions: totalPredictions, misclassified: Number(misclassified), loadS, connections, durationS, loadAverage: loadavg().map((x) => Math.round(x * 10) / 10), results }, null, 2)}\n`,
  );
} finally {
  child.kill('SIGINT');
  await once(child, 'exit');
}
