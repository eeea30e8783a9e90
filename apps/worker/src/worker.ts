import type { LeadwiseDatabase } from '@leadwise/db';
import { JobQueue, type JobHandlerRegistry } from '@leadwise/study';
import { defaultJobHandlers } from './job-handlers.ts';
import { JobRunner, type JobRunnerOptions } from './job-runner.ts';

export interface StartWorkerOptions extends JobRunnerOptions {
  db: LeadwiseDatabase;
  /** A queue already started on the same database (embedded mode shares the API's); else one is started. */
  queue?: JobQueue;
  /** Handlers by kind; defaults to the study's train, evaluate and llm handlers. */
  handlers?: JobHandlerRegistry;
}

export interface RunningWorker {
  workerId: string;
  kinds: string[];
  /** Stops claiming, hands running jobs back to the queue, and stops the queue if it started it. */
  stop(): Promise<void>;
}

export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const ownQueue = !options.queue;
  const queue = options.queue ?? (await JobQueue.start(options.db, { onError: (e) => options.log?.(`queue error: ${e.message}`) }));
  const runner = new JobRunner(options.db, queue, options.handlers ?? defaultJobHandlers(), options);
  await runner.start();
  return {
    workerId: runner.workerId,
    kinds: runner.kinds,
    async stop() {
      await runner.stop();
      if (ownQueue) await queue.stop();
    },
  };
}
