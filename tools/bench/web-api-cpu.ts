/**
 * CPU time the API process spends per request on each of the web app's list queries, one request
 * at a time, in process (no HTTP, no other clients). On a shared machine this moves far less with
 * the load than latency does, so it is the number to compare before and after a change; PostgreSQL's
 * own CPU is not in it.
 *
 *   npx tsx tools/bench/web-api-cpu.ts [--requests 100] [--only 'experiments list'] [--cache on]
 *
 * `--cache on` serves repeated queries from the response cache, as `leadwise serve` does (so every
 * measured request is a cache hit); by default every request runs (a miss, as after each write).
 *
 * Needs the database `web_bench_api` that tools/bench/web-api.ts creates (1,000,000 predictions).
 */
import { cpus, loadavg } from 'node:os';
import { openDatabase } from '@leadwise/db';
import { createApiServer, createContext } from '@leadwise/api';
import { WEB_LIST_QUERIES } from './web-api-queries.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const requests = Number(args.get('requests') ?? 100);
const only = args.get('only');
const cached = args.get('cache') === 'on';

const adminUrl = process.env.TEST_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test';
const benchUrl = new URL(adminUrl);
benchUrl.pathname = '/web_bench_api';

const handle = await openDatabase({ databaseUrl: benchUrl.toString(), migrate: false });
const { server } = await createApiServer({ db: handle.db, queue: null, ...(cached ? { watchDataChanges: handle.watchDataChanges } : {}) });
await server.start();
const ids = { runA: 1, runB: 2, recordId: 1, experimentId: 1 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 100) / 100;
try {
  const results = [];
  for (const [name, query, variables] of WEB_LIST_QUERIES) {
    if (only && name !== only) continue;
    const send = async () => {
      const response = await server.executeOperation({ query, variables: variables(ids) }, { contextValue: createContext(handle.db, { hasValidKey: false }, null) });
      const body = response.body.kind === 'single' ? response.body.singleResult : null;
      if (body?.errors) throw new Error(`${name}: ${JSON.stringify(body.errors)}`);
    };
    for (let i = 0; i < 10; i++) await send();
    const cpuMs: number[] = [];
    const wallMs: number[] = [];
    for (let i = 0; i < requests; i++) {
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      await send();
      const cpu = process.cpuUsage(cpuBefore);
      wallMs.push(performance.now() - wallBefore);
      cpuMs.push((cpu.user + cpu.system) / 1000);
    }
    results.push({ query: name, cpuMsMedian: round(median(cpuMs)), wallMsMedian: round(median(wallMs)) });
  }
  process.stdout.write(`${JSON.stringify({ requests, cache: cached, cpu: cpus()[0]?.model, loadAverage: loadavg().map((x) => Math.round(x * 10) / 10), results }, null, 2)}\n`);
} finally {
  await server.stop();
  await handle.close();
}
