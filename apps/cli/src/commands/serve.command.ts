import cluster from 'node:cluster';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Command } from 'commander';
import { positiveInt, waitForSignal, WorkerConfigError } from './worker.command.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve the GraphQL API; with embedded PGlite (no DATABASE_URL) an in-process worker runs the jobs too, so one command serves everything',
    )
    .option('--port <port>', 'HTTP port (0 = any free port)', '4000')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--concurrency <n>', 'jobs the in-process worker runs at once', '1')
    .option('--worker', 'run an in-process worker even against PostgreSQL (default: only on PGlite)')
    .option('--no-worker', 'never run an in-process worker (API only)')
    .option('--workers <n>', 'API processes sharing the port (node:cluster; PostgreSQL only, PGlite is one process)', '1')
    .option(
      '--cors-origin <origin>',
      'let web pages from this origin (e.g. https://lab.example.org) read the API; repeat for several (default: none)',
      (value: string, previous: string[]) => [...previous, corsOrigin(value)],
      [] as string[],
    )
    .action(async (opts: { port: string; host: string; concurrency: string; worker?: boolean; workers: string; corsOrigin: string[] }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new WorkerConfigError(`--port must be 0-65535, got ${JSON.stringify(opts.port)}`);
      const concurrency = positiveInt(opts.concurrency, '--concurrency');
      const workers = positiveInt(opts.workers, '--workers');
      const log = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`);
      if (workers > 1 && cluster.isPrimary) {
        if (!process.env.DATABASE_URL) throw new WorkerConfigError('--workers needs PostgreSQL (set DATABASE_URL); embedded PGlite serves from one process');
        // Migrate (schema and job queue) once here, so the API processes never race to create the same tables.
        const [{ openDatabase }, { JobQueue }] = await Promise.all([import('@leadwise/db'), import('@leadwise/study')]);
        const handle = await openDatabase();
        await (await JobQueue.start(handle.db, { onError: (e) => log(`queue error: ${e.message}`) })).stop();
        await handle.close();
        await superviseApiProcesses(workers, log);
        return;
      }
      // Before graphql loads: its development-mode checks cost several percent of every request.
      process.env.NODE_ENV ??= 'production';
      // Loaded here, not at the top, so that other commands do not pay for Apollo and pg-boss.
      const [{ openDatabase }, { startApiServer }, { JobQueue }, { startWorker }] = await Promise.all([
        import('@leadwise/db'),
        import('@leadwise/api'),
        import('@leadwise/study'),
        import('@leadwise/worker'),
      ]);
      const handle = await openDatabase();
      const queue = await JobQueue.start(handle.db, { onError: (e) => log(`queue error: ${e.message}`) });
      const runWorker = opts.worker ?? handle.driver === 'pglite';
      let worker: Awaited<ReturnType<typeof startWorker>> | null = null;
      if (runWorker) worker = await startWorker({ db: handle.db, queue, concurrency, log });
      // The web app (apps/web, built by `npm ci`'s prepare script) is served at `/` beside the API.
      const webRoot = join((await import('@leadwise/db')).REPO_ROOT, 'apps/web/dist');
      const api = await startApiServer({
        db: handle.db,
        queue,
        port,
        host: opts.host,
        corsOrigins: opts.corsOrigin,
        webRoot,
        watchDataChanges: (listener) => handle.watchDataChanges(listener),
      });
      // The URL line goes to stdout so scripts (and the e2e tests) can read where the API listens;
      // behind --workers, every process says it (they share the port; readers take the first line).
      process.stdout.write(`${JSON.stringify({ url: api.url, database: handle.location, driver: handle.driver, worker: worker?.workerId ?? null })}\n`);
      log(`leadwise API at ${api.url} on ${handle.driver} (${handle.location})${worker ? `, worker ${worker.workerId}` : ''}`);
      await waitForSignal();
      log('stopping');
      await api.stop();
      await worker?.stop();
      await queue.stop();
      await handle.close();
    });
}

/**
 * `--workers N`: N copies of this command behind one port (node:cluster hands each connection to
 * one of them). They share nothing but PostgreSQL, so one that dies is started again; SIGINT or
 * SIGTERM stops them all gracefully.
 */
async function superviseApiProcesses(count: number, log: (message: string) => void): Promise<void> {
  let stopping = false;
  const start = () => {
    const worker = cluster.fork();
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      log(`API process ${worker.process.pid} exited (${signal ?? code}); starting another`);
      start();
    });
  };
  for (let i = 0; i < count; i++) start();
  await waitForSignal();
  stopping = true;
  log('stopping the API processes');
  await Promise.all(
    Object.values(cluster.workers ?? {}).map(async (worker) => {
      if (!worker || worker.isDead()) return;
      const exited = once(worker, 'exit');
      worker.process.kill('SIGINT');
      await exited;
    }),
  );
}

/** An origin as browsers send it: scheme, host and port, nothing else (no `*`). */
function corsOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WorkerConfigError(`--cors-origin must be an origin such as https://lab.example.org, got ${JSON.stringify(value)}`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.origin !== value.replace(/\/$/, '')) {
    throw new WorkerConfigError(`--cors-origin must be an origin such as https://lab.example.org (scheme, host and port only), got ${JSON.stringify(value)}`);
  }
  return url.origin;
}
