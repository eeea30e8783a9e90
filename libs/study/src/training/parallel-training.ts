import { fork } from 'node:child_process';
import { openDatabase } from '@leadwise/db';
import type { EpochMetrics } from '@leadwise/models';
import { trainRun, type TrainRunOptions, type TrainRunResult } from './train-run.ts';

/** What a child process needs to run trainRun: the serialisable part of TrainRunOptions. */
export type TrainRunSpec = Omit<TrainRunOptions, 'onBatch' | 'onEpoch' | 'onPhase'>;

export type ChildMessage =
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'batch'; step: number; totalSteps: number }
  | { type: 'result'; result: TrainRunResult }
  | { type: 'error'; name: string; message: string };

export interface ParallelTrainingOptions {
  /** Processes at once (default 2: one per core of this machine). */
  processes?: number;
  /** PostgreSQL URL the children connect to (default DATABASE_URL). PGlite cannot be shared. */
  databaseUrl?: string;
  onEpoch?: (spec: TrainRunSpec, metrics: EpochMetrics) => void;
  onBatch?: (spec: TrainRunSpec, step: number, totalSteps: number) => void;
  /** Called as each run ends (error null on success), so callers can use a run before the others finish. */
  onRunSettled?: (spec: TrainRunSpec, error: Error | null) => void;
  /**
   * Aborting stops the batch: no further run starts and running children get SIGTERM (their runs
   * stay resumable from the last epoch checkpoint). The study aborts when one of its steps fails.
   */
  signal?: AbortSignal;
}

export class ParallelTrainingError extends Error {
  override name = 'ParallelTrainingError';
}

/**
 * Trains independent runs in separate processes (child_process.fork), `processes` at a time.
 * tfjs's wasm backend is single-threaded and keeps its state per process, so one process per core
 * is how both cores train; each child opens its own PostgreSQL pool. Results come back in spec
 * order; a failed run rejects with its error after the others finish.
 */
export async function trainRunsInParallel(specs: readonly TrainRunSpec[], options: ParallelTrainingOptions = {}): Promise<TrainRunResult[]> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
  if (!databaseUrl) {
    throw new ParallelTrainingError('parallel training needs PostgreSQL (DATABASE_URL): an embedded PGlite database cannot be opened by two processes');
  }
  const processes = Math.max(1, options.processes ?? 2);
  const results: (TrainRunResult | undefined)[] = new Array(specs.length);
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < specs.length && !options.signal?.aborted) {
      const index = next++;
      const spec = specs[index];
      try {
        results[index] = await runInChild(spec, databaseUrl, options);
        options.onRunSettled?.(spec, null);
      } catch (error) {
        failures.push(`${spec.model} seed ${spec.seed}: ${(error as Error).message}`);
        options.onRunSettled?.(spec, error as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(processes, specs.length) }, worker));
  if (options.signal?.aborted) throw new ParallelTrainingError(`stopped: ${results.filter(Boolean).length} of ${specs.length} runs had finished`);
  if (failures.length > 0) throw new ParallelTrainingError(`${failures.length} of ${specs.length} runs failed:\n  ${failures.join('\n  ')}`);
  return results as TrainRunResult[];
}

function runInChild(spec: TrainRunSpec, databaseUrl: string, options: ParallelTrainingOptions): Promise<TrainRunResult> {
  return trainRunInChild(spec, {
    databaseUrl,
    signal: options.signal,
    onEpoch: (metrics) => options.onEpoch?.(spec, metrics),
    onBatch: (step, totalSteps) => options.onBatch?.(spec, step, totalSteps),
  });
}

export interface ChildTrainingOptions {
  /** PostgreSQL URL the child connects to. */
  databaseUrl: string;
  /** Aborting sends the child SIGTERM; the promise then rejects. */
  signal?: AbortSignal;
  onEpoch?: (metrics: EpochMetrics) => void;
  onBatch?: (step: number, totalSteps: number) => void;
}

/**
 * One trainRun in a child process. Training steps are synchronous tfjs work that can hold a thread
 * for a minute; in a child they leave the caller's event loop free (a worker's heartbeats keep firing).
 */
export function trainRunInChild(spec: TrainRunSpec, options: ChildTrainingOptions): Promise<TrainRunResult> {
  const { databaseUrl } = options;
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./train-run-child-entry.mjs', import.meta.url), [], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    const stop = (): void => {
      child.kill('SIGTERM');
    };
    options.signal?.addEventListener('abort', stop, { once: true });
    child.on('exit', () => options.signal?.removeEventListener('abort', stop));
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'epoch') options.onEpoch?.(message.metrics);
      else if (message.type === 'batch') options.onBatch?.(message.step, message.totalSteps);
      else if (message.type === 'result') {
        settled = true;
        resolve(message.result);
      } else {
        settled = true;
        reject(new ParallelTrainingError(`${message.name}: ${message.message}`));
      }
    });
    child.on('exit', (code, signal) => {
      if (!settled) reject(new ParallelTrainingError(`training process for ${spec.model} seed ${spec.seed} exited with ${signal ?? `code ${code}`}`));
    });
    child.send(spec);
  });
}

/** The child side: one trainRun with its own database connection, reporting over IPC. */
export async function serveTrainRunInChild(): Promise<void> {
  const send = (message: ChildMessage) => process.send?.(message);
  // An orphan must not go on writing to a run: when the parent is gone, so is the child.
  let done = false;
  process.once('disconnect', () => {
    if (!done) process.exit(1);
  });
  const spec = await new Promise<TrainRunSpec>((resolve) => process.once('message', (m) => resolve(m as TrainRunSpec)));
  const handle = await openDatabase({ poolMax: 2 });
  try {
    const result = await trainRun(handle.db, {
      ...spec,
      onEpoch: (metrics) => send({ type: 'epoch', metrics }),
      onBatch: (progress) => send({ type: 'batch', step: progress.step, totalSteps: progress.totalSteps }),
    });
    send({ type: 'result', result });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    send({ type: 'error', name: e.name, message: e.message });
  } finally {
    await handle.close();
    done = true;
    process.disconnect?.();
  }
}
