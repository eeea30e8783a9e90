import { hostname } from 'node:os';
import { and, eq, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import type PgBoss from 'pg-boss';
import { jobs, runs, type Job, type LeadwiseDatabase } from '@leadwise/db';
import { queueName, type JobQueue } from '@leadwise/study';
import { JobAbortedError, type AbortReason, type JobContext, type JobHandlerRegistry } from './job-handler.ts';

export interface JobRunnerOptions {
  /** Jobs run at once by this process (default 1). */
  concurrency?: number;
  /** Seconds between heartbeats (default 2). */
  heartbeatS?: number;
  /**
   * A running job whose heartbeat is older than this is taken to have lost its worker (killed,
   * machine gone) and is handed back to the queue (default 15 s). Must exceed the longest stretch
   * a handler blocks the event loop.
   */
  staleAfterS?: number;
  /** Seconds between pg-boss polls for new jobs (default 1). */
  pollingIntervalS?: number;
  log?: (message: string) => void;
}

interface ActiveJob {
  jobId: number;
  controller: AbortController;
}

/**
 * Runs Leadwise jobs from the queue. Delivery is pg-boss's (one worker per job through
 * `FOR UPDATE SKIP LOCKED`); on top of it every attempt is fenced by Leadwise's `jobs` row:
 * a claim succeeds only for a queued, uncancelled job and stamps it with this worker's id, and every
 * later write (heartbeat, progress, checkpoint, result) only succeeds while the stamp is ours. A
 * worker that was presumed dead and comes back therefore cannot write over its successor.
 */
export class JobRunner {
  readonly workerId: string;
  private readonly active = new Map<number, ActiveJob>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private reaperTimer: NodeJS.Timeout | null = null;
  private readonly workIds: string[] = [];
  private stopping = false;
  private readonly options: Required<Omit<JobRunnerOptions, 'log'>>;
  private readonly log: (message: string) => void;

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
    this.log = options.log ?? (() => {});
    this.workerId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  }

  get kinds(): string[] {
    return Object.keys(this.handlers).filter((k) => this.handlers[k]);
  }

  async start(): Promise<void> {
    const boss = this.queue.boss;
    for (const kind of this.kinds) {
      // pg-boss 10 has no per-worker concurrency option: each `work` subscription runs one job at a time.
      for (let i = 0; i < this.options.concurrency; i++) {
        this.workIds.push(
          await boss.work<{ jobId: number }>(
            queueName(kind),
            { batchSize: 1, pollingIntervalSeconds: this.options.pollingIntervalS },
            async ([queued]) => this.runAttempt(queued!),
          ),
        );
      }
    }
    this.heartbeatTimer = setInterval(() => void this.heartbeat().catch((e) => this.log(`heartbeat failed: ${errorText(e)}`)), this.options.heartbeatS * 1000);
    this.reaperTimer = setInterval(() => void this.reapStaleJobs().catch((e) => this.log(`reaper failed: ${errorText(e)}`)), this.options.heartbeatS * 1000);
    await this.reapStaleJobs();
    this.log(`worker ${this.workerId} watching ${this.kinds.join(', ')} (concurrency ${this.options.concurrency})`);
  }

  /** Stops claiming, aborts running attempts (they go back to the queue) and waits for them to wind down. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const id of this.workIds) await this.queue.boss.offWork({ id });
    for (const active of this.active.values()) active.controller.abort('shutdown' satisfies AbortReason);
    const deadline = Date.now() + 30_000;
    while (this.active.size > 0 && Date.now() < deadline) await sleep(100);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.reaperTimer) clearInterval(this.reaperTimer);
  }

  private async runAttempt(queued: PgBoss.Job<{ jobId: number }>): Promise<void> {
    const jobId = Number(queued.data?.jobId);
    if (!Number.isSafeInteger(jobId)) {
      this.log(`queue job ${queued.id} has no Leadwise job id; dropped`);
      return;
    }
    const now = new Date();
    const [job] = await this.db
      .update(jobs)
      .set({
        status: 'running',
        attempts: sql`${jobs.attempts} + 1`,
        lockedBy: this.workerId,
        lockedAt: now,
        heartbeatAt: now,
        startedAt: sql`coalesce(${jobs.startedAt}, now())`,
        queueJobId: queued.id,
      })
      .where(and(eq(jobs.id, jobId), eq(jobs.status, 'queued'), sql`${jobs.cancelRequestedAt} IS NULL`))
      .returning();
    if (!job) {
      // Cancelled before it started, already finished, or held by a live worker: nothing to do.
      this.log(`job ${jobId}: not claimable (cancelled, finished or held elsewhere); skipped`);
      return;
    }
    const handler = this.handlers[job.kind];
    if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
    if (job.runId !== null) {
      await this.db
        .update(runs)
        .set({ status: 'running', startTime: sql`coalesce(${runs.startTime}, now())`, error: null })
        .where(and(eq(runs.id, job.runId), inArray(runs.status, ['queued', 'running'])));
    }
    const controller = new AbortController();
    this.active.set(job.id, { jobId: job.id, controller });
    const startedMs = Date.now();
    this.log(`job ${job.id} (${job.kind}, run ${job.runId ?? '-'}) attempt ${job.attempts} started`);
    try {
      await handler(this.contextFor(job, controller.signal));
      controller.signal.throwIfAborted();
      await this.finish(job, 'finished', null, startedMs);
      this.log(`job ${job.id} finished in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
    } catch (error) {
      const reason = abortReasonOf(controller.signal, error);
      if (reason === 'cancelled') {
        await this.finish(job, 'cancelled', null, startedMs);
        this.log(`job ${job.id} cancelled`);
        return;
      }
      if (reason === 'lease-lost') {
        this.log(`job ${job.id}: another worker took it over; this attempt stops without writing`);
        return;
      }
      const message = reason === 'shutdown' ? `worker ${this.workerId} shut down` : errorText(error);
      const retriesLeft = job.attempts <= this.queue.retryLimit;
      if (retriesLeft) await this.release(job, message);
      else await this.finish(job, 'failed', message, startedMs);
      this.log(`job ${job.id} attempt ${job.attempts} ${retriesLeft ? 'will be retried' : 'failed'}: ${message}`);
      // pg-boss retries the delivery (or records the final failure).
      throw error instanceof Error ? error : new Error(message);
    } finally {
      this.active.delete(job.id);
    }
  }

  private contextFor(job: Job, signal: AbortSignal): JobContext {
    const fenced = and(eq(jobs.id, job.id), eq(jobs.lockedBy, this.workerId), eq(jobs.status, 'running'));
    let lastProgressMs = 0;
    return {
      db: this.db,
      job,
      attempt: job.attempts,
      signal,
      checkpoint: job.checkpoint ?? null,
      saveCheckpoint: async (state) => {
        const updated = await this.db.update(jobs).set({ checkpoint: state }).where(fenced).returning({ id: jobs.id });
        if (updated.length === 0) throw new JobAbortedError('lease-lost');
      },
      reportProgress: async (done, total) => {
        const nowMs = Date.now();
        // At most a write every 500 ms, and always the last one.
        if (nowMs - lastProgressMs < 500 && (total === undefined || done < total)) return;
        lastProgressMs = nowMs;
        await this.db
          .update(jobs)
          .set({ progressDone: done, ...(total !== undefined ? { progressTotal: total } : {}) })
          .where(fenced);
      },
      log: (message) => this.log(`job ${job.id}: ${message}`),
    };
  }

  /** Heartbeat for every running attempt; learns about cancel requests and lost leases on the way. */
  private async heartbeat(): Promise<void> {
    if (this.active.size === 0) return;
    const ids = [...this.active.keys()];
    const alive = await this.db
      .update(jobs)
      .set({ heartbeatAt: new Date() })
      .where(and(inArray(jobs.id, ids), eq(jobs.lockedBy, this.workerId), eq(jobs.status, 'running')))
      .returning({ id: jobs.id, cancelRequestedAt: jobs.cancelRequestedAt });
    const aliveIds = new Map(alive.map((a) => [a.id, a]));
    for (const id of ids) {
      const active = this.active.get(id);
      if (!active || active.controller.signal.aborted) continue;
      const row = aliveIds.get(id);
      if (!row) active.controller.abort('lease-lost' satisfies AbortReason);
      else if (row.cancelRequestedAt) active.controller.abort('cancelled' satisfies AbortReason);
    }
  }

  /**
   * Hands jobs whose worker stopped heartbeating back to the queue. Every worker runs this; the
   * conditional UPDATE makes exactly one of them win each stale job.
   */
  private async reapStaleJobs(): Promise<void> {
    const stale = await this.db
      .update(jobs)
      .set({ status: 'queued', lockedBy: null, error: sql`'worker ' || coalesce(${jobs.lockedBy}, '?') || ' stopped heartbeating'` })
      .where(
        and(
          eq(jobs.status, 'running'),
          isNotNull(jobs.heartbeatAt),
          lt(jobs.heartbeatAt, sql`now() - make_interval(secs => ${this.options.staleAfterS})`),
        ),
      )
      .returning();
    for (const job of stale) {
      this.log(`job ${job.id}: ${job.error}; handing it back to the queue`);
      if (job.cancelRequestedAt) {
        await this.finish(job, 'cancelled', null, null);
        if (job.queueJobId) await this.queue.boss.cancel(queueName(job.kind), job.queueJobId);
        continue;
      }
      if (!job.queueJobId) continue;
      await this.queue.boss.fail(queueName(job.kind), job.queueJobId, { message: 'worker stopped heartbeating' });
      const after = await this.queue.boss.getJobById(queueName(job.kind), job.queueJobId);
      if (after && after.state === 'failed') await this.finish(job, 'failed', `${job.error}; no retries left`, null);
    }
  }

  private async release(job: Job, message: string): Promise<void> {
    await this.db
      .update(jobs)
      .set({ status: 'queued', lockedBy: null, error: message })
      .where(and(eq(jobs.id, job.id), eq(jobs.lockedBy, this.workerId)));
  }

  private async finish(job: Job, status: 'finished' | 'failed' | 'cancelled', error: string | null, startedMs: number | null): Promise<void> {
    const now = new Date();
    await this.db
      .update(jobs)
      .set({ status, finishedAt: now, error, lockedBy: null })
      .where(and(eq(jobs.id, job.id), startedMs === null ? sql`true` : eq(jobs.lockedBy, this.workerId)));
    if (job.runId === null) return;
    await this.db
      .update(runs)
      .set({
        status,
        endTime: now,
        error,
        wallTimeMs: sql`(extract(epoch from (${now.toISOString()}::timestamptz - coalesce(${runs.startTime}, ${now.toISOString()}::timestamptz))) * 1000)::bigint`,
      })
      .where(and(eq(runs.id, job.runId), inArray(runs.status, ['queued', 'running'])));
  }
}

function abortReasonOf(signal: AbortSignal, error: unknown): AbortReason | null {
  if (error instanceof JobAbortedError) return error.reason;
  if (signal.aborted) return signal.reason as AbortReason;
  return null;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
