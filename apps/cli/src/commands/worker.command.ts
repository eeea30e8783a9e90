import type { Command } from 'commander';

export class WorkerConfigError extends Error {
  override name = 'WorkerConfigError';
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('Run jobs (train, evaluate, llm) from the PostgreSQL queue at DATABASE_URL; start as many as you like, on any machine')
    .option('--concurrency <n>', 'jobs this process runs at once', '1')
    .option('--stale-after <seconds>', 'hand a running job back to the queue when its worker misses heartbeats this long', '15')
    .action(async (opts: { concurrency: string; staleAfter: string }) => {
      const concurrency = positiveInt(opts.concurrency, '--concurrency');
      const staleAfterS = positiveInt(opts.staleAfter, '--stale-after');
      if (!process.env.DATABASE_URL?.trim()) {
        throw new WorkerConfigError(
          'leadwise worker needs DATABASE_URL (PostgreSQL): workers and the API share their queue through it. ' +
            'On one machine without PostgreSQL, `leadwise serve` runs the API and a worker together on embedded PGlite.',
        );
      }
      // Loaded here, not at the top, so that other commands do not pay for pg-boss and tfjs.
      const [{ openDatabase }, { startWorker }] = await Promise.all([import('@leadwise/db'), import('@leadwise/worker')]);
      const handle = await openDatabase();
      const log = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`);
      const worker = await startWorker({ db: handle.db, concurrency, staleAfterS, log });
      log(`leadwise worker ${worker.workerId} on ${handle.location}; Ctrl-C to stop (running jobs go back to the queue)`);
      await waitForSignal();
      log('stopping');
      await worker.stop();
      await handle.close();
    });
}

export function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new WorkerConfigError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
