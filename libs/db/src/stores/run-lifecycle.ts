import type { NewRun, Run } from '../schema/experiments.ts';
import type { ParamValue, RunStore } from './run-store.ts';

export interface RunLifecycle {
  /** The run to create, or an existing queued run (adopted or resumed) to start. */
  run: NewRun | Run;
  /** Logged before the run starts (params are written once: a resumed run logs the same values again). */
  params?: Readonly<Record<string, ParamValue>>;
  /** Called first, once the run exists (a caller recording its id so that a retry can find it). */
  onCreated?: (runId: number) => unknown;
  /** The error text stored on the failed run (default `Name: message`). */
  errorText?: (error: unknown) => string;
  /** false: a failure leaves the run as it was, for the caller to settle (default true). */
  failOnError?: boolean;
}

/** `TypeError: message`, what a failed run stores unless told otherwise. */
export function runErrorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The life of a run around `work`: creates the run (or takes the given one), logs its params, marks it
 * running, then finished when `work` resolves, or failed with the error's text when anything in
 * between throws, and rethrows. A failed status update never hides the original error.
 */
export async function withRun<T>(store: RunStore, lifecycle: RunLifecycle, work: (run: Run) => Promise<T>): Promise<T> {
  const run = 'id' in lifecycle.run ? lifecycle.run : await store.create(lifecycle.run);
  try {
    await lifecycle.onCreated?.(run.id);
    if (lifecycle.params) await store.logParams(run.id, lifecycle.params);
    const running = await store.start(run.id);
    const result = await work(running);
    await store.finish(run.id);
    return result;
  } catch (error) {
    if (lifecycle.failOnError ?? true) await store.fail(run.id, (lifecycle.errorText ?? runErrorText)(error)).catch(() => undefined);
    throw error;
  }
}
