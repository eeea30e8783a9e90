import { THREADS_ENV_VAR } from '@leadwise/native-kernels';
import type { EpochMetrics } from '@leadwise/models';
import { trainRunInChild, type TrainRunSpec } from './child-runs.ts';

export type { TrainRunSpec } from './child-runs.ts';
import type { TrainRunResult } from './train-run.ts';

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

/**
 * Children train one per core, so each keeps the native kernels to one thread (more would only
 * contend for the same cores); a LEADWISE_THREADS the user set is passed on as is.
 */
export function childEnv(databaseUrl: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const threads = env[THREADS_ENV_VAR]?.trim() ? env[THREADS_ENV_VAR] : '1';
  return { ...env, DATABASE_URL: databaseUrl, [THREADS_ENV_VAR]: threads };
}

function runInChild(spec: TrainRunSpec, databaseUrl: string, options: ParallelTrainingOptions): Promise<TrainRunResult> {
  return trainRunInChild(spec, {
    databaseUrl,
    env: childEnv(databaseUrl),
    signal: options.signal,
    onEpoch: (metrics) => options.onEpoch?.(spec, metrics),
    onBatch: (step, totalSteps) => options.onBatch?.(spec, step, totalSteps),
  });
}
