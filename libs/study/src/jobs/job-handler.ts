import type { Job, LeadwiseDatabase } from '@leadwise/db';

/** What a handler gets for one attempt of one job. */
export interface JobContext {
  db: LeadwiseDatabase;
  job: Job;
  /** 1 for the first attempt; more after a failure or a dead worker. */
  attempt: number;
  /** Aborted when the job is cancelled, the worker shuts down, or another worker took the job over. */
  signal: AbortSignal;
  /** Last state saved by `saveCheckpoint` in any earlier attempt, or null. */
  checkpoint: Record<string, unknown> | null;
  /** Persists resume state; a retried attempt starts from the last one saved. */
  saveCheckpoint(state: Record<string, unknown>): Promise<void>;
  /** Records progress (units are the handler's: epochs, batches, records). */
  reportProgress(done: number, total?: number): Promise<void>;
  log(message: string): void;
}

export type JobHandler = (context: JobContext) => Promise<void>;

/** Handlers by job kind; a worker only subscribes to the kinds it has a handler for. */
export type JobHandlerRegistry = Partial<Record<string, JobHandler>>;

/** Thrown inside a handler when its signal is aborted, so a handler may `signal.throwIfAborted()`. */
export class JobAbortedError extends Error {
  override name = 'JobAbortedError';
  constructor(readonly reason: AbortReason) {
    super(`job aborted: ${reason}`);
  }
}

export type AbortReason = 'cancelled' | 'shutdown' | 'lease-lost';
