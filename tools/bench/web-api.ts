/**
 * The web app's list queries (apps/web) over 1,000,000 stored predictions, 10 concurrent users
 * (autocannon on loopback). Target (issue 18): p95 under 50 ms for each.
 *
 *   npx tsx tools/bench/web-api.ts [--runs 500] [--records 2000] [--connections 10] [--duration 10] [--workers 1]
 *
 * The study: one dataset of `records` records and `runs` evaluation runs (10 experiments) that each
 * predicted every record, so runs x records predictions (default 500 x 2,000 = 1,000,000; the
 * issue's 2,000 predictions per run), with lead-group attributions for the first run. Needs
 * PostgreSQL (TEST_DATABASE_URL): creates the database `web_bench_api` (reused when it already
 * holds the data), starts `leadwise serve --no-worker` against it and prints one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openDatabase, queryRows, type LeadwiseDatabase } from '@leadwise/db';
import { WEB_LIST_QUERIES } from './web-api-queries.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const runCount = Number(args.get('runs') ?? 500);
const recordCount = Number(args.get('records') ?? 2000);
const connections = Number(args.get('connections') ?? 10);
const durationS = Number(args.get('duration') ?? 10);
const workers = Number(args.get('workers') ?? 1);

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const adminUrl = process.env.TEST_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test';
const benchUrl = new URL(adminUrl);
benchUrl.pathname = '/web_bench_api';

async function ensureDatabase(): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'web_bench_api'`);
    if (!rowCount) await client.query('CREATE DATABASE web_bench_api');
  } finally {
    await client.end();
  }
}

/**
 * Generated inside PostgreSQL (seconds, not minutes); scores from a fixed hash, about a quarter
 * misclassified. Rows are written run by run, as evaluations write them (one batch per run), so a
 * run's predictions share heap pages.
 */
async function load(db: LeadwiseDatabase): Promise<{ loadS: number }> {
  const [existing] = await queryRows<{ n: string; runs: string }>(db, sql`SELECT (SELECT count(*) FROM predictions) AS n, (SELECT count(*) FROM runs) AS runs`);
  if (Number(existing?.n) === runCount * recordCount && Number(existing?.runs) === runCount) return { loadS: 0 };
  const started = Date.now();
  await db.execute(sql`TRUNCATE datasets, experiments RESTART IDENTITY CASCADE`);
  await db.execute(sql`INSERT INTO datasets (name, kind, source_path, label_rule) VALUES ('bench', 'manifest', '/bench', 'manifest')`);
  await db.execute(sql`
    INSERT INTO records (dataset_id, external_id, split, label, source_codes, sampling_rate_hz, length_samples, signal_path)
    SELECT 1, 'r' || g, (ARRAY['train','val','test'])[1 + g % 3], CASE WHEN g % 5 < 2 THEN 'abnormal' ELSE 'normal' END, '[]'::jsonb, 500, 5000, 'r' || g
    FROM generate_series(1, ${recordCount}) AS g`);
  await db.execute(sql`
    INSERT INTO experiments (name, config, config_hash)
    SELECT 'bench-' || e, '{"datasets":{"internal":{"name":"bench"}}}'::jsonb, 'bench-' || e FROM generate_series(1, 10) AS e`);
  await db.execute(sql`
    INSERT INTO runs (experiment_id, name, kind, model, seed, status, dataset_id)
    SELECT 1 + (g - 1) % 10, 'bench-run-' || g, 'evaluate', (ARRAY['leadgroup','resnet18','densenet121','vgg16'])[1 + g % 4], 1 + g % 3, 'finished', 1
    FROM generate_series(1, ${runCount}) AS g`);
  await db.execute(sql`
    INSERT INTO predictions (run_id, record_id, dataset_id, split, true_label, score, predicted_label)
    SELECT runs.id, records.id, 1, records.split, t.y, t.s, CASE WHEN t.s >= 0.5 THEN 1 ELSE 0 END
    FROM runs CROSS JOIN records,
         LATERAL (SELECT CASE WHEN records.label = 'abnormal' THEN 1 ELSE 0 END AS y,
                         least(0.999999, (((records.id * 2654435761 + runs.id * 40503) % 1000003) / 1000003.0) * 0.8
                                         + CASE WHEN records.label = 'abnormal' THEN 0.2 ELSE 0 END) AS s) t
    ORDER BY runs.id, records.id`);
  await db.execute(sql`
    INSERT INTO lead_group_attributions (run_id, record_id, group_name, attention_weight, occlusion_delta)
    SELECT 1, records.id, g, 0.2, 0.01 FROM records CROSS JOIN unnest(ARRAY['inferior','lateral','septal','anterior','aVR']) AS g`);
  await db.execute(sql`ANALYZE`);
  return { loadS: (Date.now() - started) / 1000 };
}

async function startApi(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(repoRoot, 'apps/cli/bin/leadwise.mjs'), 'serve', '--no-worker', '--port', '0', ...(workers > 1 ? ['--workers', String(workers)] : [])], {
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
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1))]!;
}

async function measure(url: string, name: string, query: string, variables: Record<string, unknown>) {
  const body = JSON.stringify({ query, variables });
  const probe = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as { errors?: unknown };
  if (probe.errors) throw new Error(`${name}: ${JSON.stringify(probe.errors)}`);
  const latenciesMs: number[] = [];
  const instance = autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: durationS });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => latenciesMs.push(responseTimeMs));
  const result = await instance;
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
  };
}

await ensureDatabase();
const handle = await openDatabase({ databaseUrl: benchUrl.toString() });
const { loadS } = await load(handle.db);
const [{ predictions }] = (await queryRows<{ predictions: string }>(handle.db, sql`SELECT count(*) AS predictions FROM predictions`)) as [{ predictions: string }];
await handle.close();

const { url, child } = await startApi();
const graphqlUrl = new URL('/graphql', url).toString();
try {
  const ids = { runA: 1, runB: 2, recordId: 1, experimentId: 1 };
  const results = [];
  for (const [name, query, variables] of WEB_LIST_QUERIES) results.push(await measure(graphqlUrl, name, query, variables(ids)));
  process.stdout.write(
    `${JSON.stringify({ predictions: Number(predictions), runs: runCount, recordsPerRun: recordCount, loadS, connections, durationS, workers, cpu: cpus()[0]?.model, loadAverage: loadavg().map((x) => Math.round(x * 10) / 10), results }, null, 2)}\n`,
  );
} finally {
  child.kill('SIGINT');
  await once(child, 'exit');
}
