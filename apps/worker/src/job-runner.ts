import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import { InvalidTransitionError, JobLockLostError, JobStore, RunStore, errorMessageWithoutParams, type Job, type LeadwiseDatabase } from '@leadwise/db';
import { JobAbortedError, queueName, type AbortReason, type JobContext, type JobHandlerRegistry, type JobQueue } from '@leadwise/study';

export interface JobRunnerOptions {
  /** Jobs run at once by this process (default 1). */
  concurrency?: number;
  /** Seconds between heartbeats (default 2). */
  heartbeatS?: number;
  /**
   * A running job whose heartbeat is older than this is taken to have lost its worker (killed,
   * machine gone) and is handed back to the queue (default 15 s). Must exceed the longest stretch
   * a handler blocks the event loop: the study's handlers train and evaluate in child processes on
   * PostgreSQL (libs/study child-runs.ts), so theirs is short; a new handler must do the same.
   */
  staleAfterS?: number;
  /** Seconds between pg-boss polls for new jobs (default 1). */
  pollingIntervalS?: number;
  log?: (message: string) => void;
}

interface ActiveJob {
  job: Job;
  controller: AbortController;
}

/**
 * Runs Leadwise jobs from the queue. Delivery is pg-boss's (one worker per job through
 * `FOR UPDATE SKIP LOCKED`, retries); on top of it every attempt is fenced by Leadwise's `jobs` row
 * (libs/db JobStore): a claim stamps the row with this worker's id, and every later write
 * (heartbeat, progress, checkpoint, result) succeeds only while the stamp is still ours. A worker
 * presumed dead that comes back therefore cannot write over its successor.
 */
export class JobRunner {
  readonly workerId: string;
  private readonly active = new Map<number, ActiveJob>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly workIds: string[] = [];
  private stopping = false;
  private readonly options: Required<Omit<JobRunnerOptions, 'log'>>;
  private readonly log: (message: string) => void;
  private readonly jobStore: JobStore;
  private readonly runStore: RunStore;

  constructor(
    private readonly db: LeadwiseDatabase,
    private readonly queue: JobQueue,
    private readonly handlers: JobHandlerRegistry,
    options: JobRunnerOptions = {},
  ) {
    this.options = {
      concurrency: options.concurrency ?? 1,
      heartbeatS: options.heartbeatS ?? 2,
      staleAfterS: options.staleAfterS ?? 15,
      pollingIntervalS: options.pollingIntervalS ?? 1,
    };
    this.log = options.log ?? ((): void => undefined);
    this.workerId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    this.jobStore = new JobStore(db);
    this.runStore = new RunStore(db);
  }

  get kinds(): string[] {
    return Object.keys(this.handlers).filter((k) => this.handlers[k]);
  }

  async start(): Promise<void> {
    await this.reapStaleJobs();
    for (const kind of this.kinds) {
      // pg-boss 10 has no per-worker concurrency option: each `work` subscription runs one job at a time.
      for (let i = 0; i < this.options.concurrency; i++) {
        this.workIds.push(
          await this.queue.boss.work<{ jobId: number }>(
            queueName(kind),
            { batchSize: 1, pollingIntervalSeconds: this.options.pollingIntervalS },
            async ([delivered]) => this.runAttempt(delivered!),
          ),
        );
      }
    }
    this.heartbeatTimer = setInterval(() => void this.tick(), this.options.heartbeatS * 1000);
    this.log(`worker ${this.workerId} watching ${this.kinds.join(', ') || 'no job kinds'} (concurrency ${this.options.concurrency})`);
  }

  /** Stops claiming, aborts running attempts (their jobs go back to the queue) and waits for them to wind down. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const id of this.workIds) await this.queue.boss.offWork({ id });
    for (const active of this.active.values()) active.controller.abort('shutdown' satisfies AbortReason);
    const deadlineMs = Date.now() + 30_000;
    while (this.active.size > 0 && Date.now() < deadlineMs) await sleep(50);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
  }

  private async tick(): Promise<void> {
    try {
      await this.heartbeat();
      await this.reapStaleJobs();
    } catch (error) {
      this.log(`heartbeat/reaper failed: ${errorText(error)}`);
    }
  }

  private async runAttempt(delivered: PgBoss.Job<{ jobId: number }>): Promise<void> {
    const jobId = Number(delivered.data?.jobId);
    if (!Number.isSafeInteger(jobId)) {
      this.log(`queue job ${delivered.id} carries no Leadwise job id; dropped`);
      return;
    }
    const job = await this.jobStore.claim(jobId, this.workerId, { staleAfterMs: this.options.staleAfterS * 1000 });
    if (!job) {
      // Cancelled before it started, already finished, or held by a live worker: nothing to do.
      this.log(`job ${jobId}: not claimable (cancelled, finished or held by a live worker); skipped`);
      return;
    }
    const handler = this.handlers[job.kind];
    if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
    if (job.runId !== null) {
      const run = await this.runStore.getById(job.runId);
      if (run?.status === 'queued') await this.runStore.start(job.runId);
    }
    const controller = new AbortController();
    this.active.set(job.id, { job, controller });
    const startedMs = Date.now();
    this.log(`job ${job.id} (${job.kind}, run ${job.runId ?? '-'}) attempt ${job.attempts} started${job.checkpoint ? ' from its checkpoint' : ''}`);
    try {
      await handler(this.contextFor(job, controller.signal));
      controller.signal.throwIfAborted();
      // The run first: a job reads as finished only once everything it did is recorded.
      await this.settleHeld(job, 'finished');
      this.log(`job ${job.id} finished in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
    } catch (error) {
      const reason = error instanceof JobLockLostError ? 'lease-lost' : abortReasonOf(controller.signal, error);
      if (reason === 'lease-lost') {
        this.log(`job ${job.id}: another worker took it over; this attempt stops without writing`);
        return;
      }
      if (reason === 'cancelled') {
        await this.settleHeld(job, 'cancelled').catch(ignoreLockLost);
        this.log(`job ${job.id} cancelled`);
        return;
      }
      const message = reason === 'shutdown' ? `worker ${this.workerId} shut down` : errorText(error);
      const willRetry = job.attempts <= this.queue.retryLimit;
      try {
        await this.settleHeld(job, willRetry ? 'queued' : 'failed', message);
      } catch (settleError) {
        if (!(settleError instanceof JobLockLostError)) throw settleError;
        this.log(`job ${job.id}: another worker took it over before attempt ${job.attempts} could record its failure; nothing written`);
        return;
      }
      this.log(`job ${job.id} attempt ${job.attempts} ${willRetry ? 'will be retried' : 'failed for good'}: ${message}`);
      // pg-boss redelivers the job (or records its final failure).
      throw error instanceof Error ? error : new Error(message);
    } finally {
      this.active.delete(job.id);
    }
  }

  /**
   * The attempt's last writes, fenced by the job's lock (JobStore.withHeld): its run brought to the
   * state the job ends in, then the job itself. Throws JobLockLostError, having written nothing,
   * when another worker holds the job by now.
   */
  private async settleHeld(job: Job, outcome: 'finished' | 'cancelled' | 'queued' | 'failed', message = ''): Promise<void> {
    await this.jobStore.withHeld(job.id, this.workerId, async (tx) => {
      await settleRun(new RunStore(tx), job.runId, outcome, message);
      const heldJobs = new JobStore(tx);
      if (outcome === 'finished') await heldJobs.complete(job.id, this.workerId);
      else if (outcome === 'cancelled') await heldJobs.acknowledgeCancel(job.id, this.workerId);
      else if (outcome === 'queued') await heldJobs.release(job.id, this.workerId, message);
      else await heldJobs.fail(job.id, this.workerId, message);
    });
  }

  private contextFor(job: Job, signal: AbortSignal): JobContext {
    let lastProgressMs = 0;
    let done = job.progressDone;
    let total: number | null | undefined = job.progressTotal;
    const rethrowLeaseLost = (error: unknown): never => {
      if (error instanceof JobLockLostError) throw new JobAbortedError('lease-lost');
      throw error;
    };
    return {
      db: this.db,
      job,
      attempt: job.attempts,
      signal,
      checkpoint: job.checkpoint ?? null,
      saveCheckpoint: async (checkpoint) => {
        await this.jobStore.reportProgress(job.id, this.workerId, { done, total, checkpoint }).catch(rethrowLeaseLost);
      },
      reportProgress: async (newDone, newTotal) => {
        done = newDone;
        if (newTotal !== undefined) total = newTotal;
        const nowMs = Date.now();
        // At most one write every 500 ms, plus the last one.
        if (nowMs - lastProgressMs < 500 && (total == null || done < total)) return;
        lastProgressMs = nowMs;
        await this.jobStore.reportProgress(job.id, this.workerId, { done, total }).catch(rethrowLeaseLost);
      },
      log: (message) => this.log(`job ${job.id}: ${message}`),
    };
  }

  /** Heartbeat for every running attempt; learns about cancel requests and lost leases on the way. */
  private async heartbeat(): Promise<void> {
    for (const [id, active] of this.active) {
      if (active.controller.signal.aborted) continue;
      try {
        const signal = await this.jobStore.heartbeat(id, this.workerId);
        if (signal.cancelRequested) active.controller.abort('cancelled' satisfies AbortReason);
      } catch (error) {
        if (error instanceof JobLockLostError) active.controller.abort('lease-lost' satisfies AbortReason);
        else throw error;
      }
    }
  }

  /**
   * Hands jobs whose worker stopped heartbeating back to the queue (JobStore.reapStale lets exactly
   * one worker win each stale job), then asks pg-boss to redeliver each (pg-boss 10 has no heartbeat
   * of its own, only a fixed expiry).
   */
  private async reapStaleJobs(): Promise<void> {
    const stale = await this.jobStore.reapStale({ staleAfterMs: this.options.staleAfterS * 1000 });
    for (const job of stale) {
      this.log(`job ${job.id}: ${job.error}; handing it back to the queue`);
      if (job.cancelRequestedAt) {
        await this.jobStore.requestCancel(job.id);
        if (job.runId !== null) await this.runStore.cancel(job.runId).catch(ignoreInvalidTransition);
        if (job.queueJobId) await this.queue.boss.cancel(queueName(job.kind), job.queueJobId);
        continue;
      }
      if (!job.queueJobId) continue;
      await this.queue.boss.fail(queueName(job.kind), job.queueJobId, { message: 'worker stopped heartbeating' });
      const after = await this.queue.boss.getJobById(queueName(job.kind), job.queueJobId);
      if (after?.state === 'failed') {
        const message = `${job.error}; no retries left`;
        // Only while nobody claimed it since the reap: a claimed job is its holder's to settle.
        const failed = await this.jobStore.failIfQueued(job.id, message);
        if (failed && job.runId !== null) await this.runStore.fail(job.runId, message).catch(ignoreInvalidTransition);
      }
    }
  }
}

/**
 * Brings the job's run to the state its job ended in. Study functions manage their runs themselves
 * (a train run is already finished), so this only fills gaps and undoes what a retry or a cancel
 * overrides, within libs/db's allowed transitions.
 */
async function settleRun(runStore: RunStore, runId: number | null, outcome: 'finished' | 'cancelled' | 'queued' | 'failed', message: string): Promise<void> {
  if (runId === null) return;
  const run = await runStore.getById(runId);
  if (!run) return;
  if (outcome === 'finished') {
    if (run.status === 'queued') await runStore.start(runId);
    if (run.status === 'queued' || run.status === 'running') await runStore.finish(runId);
  } else if (outcome === 'cancelled') {
    if (run.status === 'failed') await runStore.requeue(runId);
    if (run.status !== 'finished' && run.status !== 'cancelled') await runStore.cancel(runId);
  } else if (outcome === 'queued') {
    if (run.status === 'running' || run.status === 'failed') await runStore.requeue(runId);
  } else if (run.status === 'queued' || run.status === 'running') {
    await runStore.fail(runId, message);
  }
}

function ignoreLockLost(error: unknown): void {
  if (!(error instanceof JobLockLostError)) throw error;
}

/** A run already moved on (e.g. cancelled meanwhile): the transition it would have made no longer applies. */
function ignoreInvalidTransition(error: unknown): void {
  if (!(error instanceof InvalidTransitionError)) throw error;
}

function abortReasonOf(signal: AbortSignal, error: unknown): AbortReason | null {
  if (error instanceof JobAbortedError) return error.reason;
  if (signal.aborted) return signal.reason as AbortReason;
  return null;
}

/** What is logged and stored as the job's error (served by the API): never a query's parameters. */
function errorText(error: unknown): string {
  return errorMessageWithoutParams(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
