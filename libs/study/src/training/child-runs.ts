import { fork } from 'node:child_process';
import { openDatabase } from '@leadwise/db';
import type { EpochMetrics } from '@leadwise/models';
import { evaluateRun, type EvaluateRunOptions, type EvaluateRunResult } from './evaluate-run.ts';
import { trainRun, type TrainRunOptions, type TrainRunResult } from './train-run.ts';

/**
 * Training and evaluation in a child process. Their tfjs steps are synchronous and can hold a thread
 * for a minute; in a child they leave the caller's event loop free, so a worker's heartbeats keep
 * firing and no other worker takes its job over. Each child opens its own PostgreSQL pool.
 */

/** What a child process needs to run trainRun: the serialisable part of TrainRunOptions. */
export type TrainRunSpec = Omit<TrainRunOptions, 'onBatch' | 'onEpoch' | 'onPhase'>;
/** What a child process needs to run evaluateRun: the serialisable part of EvaluateRunOptions. */
export type EvaluateRunSpec = Omit<EvaluateRunOptions, 'onProgress' | 'onRunCreated'>;

type ChildTask = { task: 'train'; spec: TrainRunSpec } | { task: 'evaluate'; spec: EvaluateRunSpec };

type ChildMessage =
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'batch'; step: number; totalSteps: number }
  | { type: 'progress'; done: number; total: number }
  | { type: 'run-created'; runId: number }
  | { type: 'result'; result: unknown }
  | { type: 'error'; name: string; message: string };

export class ChildRunError extends Error {
  override name = 'ChildRunError';
}

export interface ChildRunOptions {
  /** PostgreSQL URL the child connects to (embedded PGlite cannot be shared with a child). */
  databaseUrl: string;
  /** The child's environment (default this process's); DATABASE_URL is set from databaseUrl. */
  env?: NodeJS.ProcessEnv;
  /** Aborting sends the child SIGTERM; the promise then rejects. */
  signal?: AbortSignal;
}

export function trainRunInChild(
  spec: TrainRunSpec,
  options: ChildRunOptions & { onEpoch?: (metrics: EpochMetrics) => void; onBatch?: (step: number, totalSteps: number) => void },
): Promise<TrainRunResult> {
  return runInChild<TrainRunResult>({ task: 'train', spec }, options, `training ${spec.model} seed ${spec.seed}`, (message) => {
    if (message.type === 'epoch') options.onEpoch?.(message.metrics);
    else if (message.type === 'batch') options.onBatch?.(message.step, message.totalSteps);
  });
}

export function evaluateRunInChild(
  spec: EvaluateRunSpec,
  options: ChildRunOptions & { onProgress?: (done: number, total: number) => void; onRunCreated?: (evaluationRunId: number) => void },
): Promise<EvaluateRunResult> {
  return runInChild<EvaluateRunResult>({ task: 'evaluate', spec }, options, `evaluating run ${spec.runId} on ${spec.dataset}`, (message) => {
    if (message.type === 'progress') options.onProgress?.(message.done, message.total);
    else if (message.type === 'run-created') options.onRunCreated?.(message.runId);
  });
}

function runInChild<R>(task: ChildTask, options: ChildRunOptions, what: string, onMessage: (message: ChildMessage) => void): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./run-child-entry.mjs', import.meta.url), [], {
      env: { ...(options.env ?? process.env), DATABASE_URL: options.databaseUrl },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    const stop = (): void => {
      child.kill('SIGTERM');
    };
    options.signal?.addEventListener('abort', stop, { once: true });
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'result') {
        settled = true;
        resolve(message.result as R);
      } else if (message.type === 'error') {
        settled = true;
        reject(new ChildRunError(`${message.name}: ${message.message}`));
      } else {
        onMessage(message);
      }
    });
    child.on('exit', (code, signal) => {
      options.signal?.removeEventListener('abort', stop);
      if (!settled) reject(new ChildRunError(`the process ${what} exited with ${signal ?? `code ${code}`}`));
    });
    child.send(task);
  });
}

/** The child side: one run with its own database connection, reporting over IPC. */
export async function serveRunInChild(): Promise<void> {
  const send = (message: ChildMessage) => process.send?.(message);
  // An orphan must not go on writing to a run: when the parent is gone, so is the child.
  let done = false;
  process.once('disconnect', () => {
    if (!done) process.exit(1);
  });
  const task = await new Promise<ChildTask>((resolve) => process.once('message', (m) => resolve(m as ChildTask)));
  const handle = await openDatabase({ poolMax: 2 });
  try {
    const result =
      task.task === 'train'
        ? await trainRun(handle.db, {
            ...task.spec,
            onEpoch: (metrics) => send({ type: 'epoch', metrics }),
            onBatch: (progress) => send({ type: 'batch', step: progress.step, totalSteps: progress.totalSteps }),
          })
        : await evaluateRun(handle.db, {
            ...task.spec,
            onProgress: (doneCount, total) => send({ type: 'progress', done: doneCount, total }),
            onRunCreated: (runId) => void send({ type: 'run-created', runId }),
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
