import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { LeadwiseDatabase } from '../client.ts';
import type { JobStatus } from '../schema/enums.ts';
import { jobs, type Job, type NewJob } from '../schema/jobs.ts';
import { InvalidTransitionError, JobLockLostError } from '../errors.ts';
import { clampLimit, type Page } from './store-kit.ts';
import { RunStore } from './run-store.ts';

export interface ClaimOptions {
  /** A running job whose heartbeat is older than this is considered abandoned and may be claimed (default 60 s). */
  staleAfterMs?: number;
}

export interface JobProgress {
  done: number;
  total?: number | null;
  /** State to resume from if this worker dies; replaces the previous checkpoint. */
  checkpoint?: Record<string, unknown>;
}

/** What a worker learns from each heartbeat or progress report. */
export interface JobSignal {
  cancelRequested: boolean;
}

export class JobStore {
  constructor(private readonly db: LeadwiseDatabase) {}

  async create(input: NewJob): Promise<Job> {
    const [row] = await this.db.insert(jobs).values(input).returning();
    return row;
  }

  /** Links the job to its entry in the delivery queue (pg-boss's job id). */
  async setQueueJobId(id: number, queueJobId: string): Promise<Job> {
    const [row] = await this.db.update(jobs).set({ queueJobId }).where(eq(jobs.id, id)).returning();
    return row;
  }

  /** Points the job at the run it produced (an evaluation or LLM run it created itself). */
  async setRunId(id: number, runId: number): Promise<void> {
    await this.db.update(jobs).set({ runId }).where(eq(jobs.id, id));
  }

  async getById(id: number): Promise<Job | undefined> {
    const [row] = await this.db.select().from(jobs).where(eq(jobs.id, id));
    return row;
  }

  async getByRunId(runId: number): Promise<Job[]> {
    return this.db.select().from(jobs).where(eq(jobs.runId, runId)).orderBy(asc(jobs.id));
  }

  /** For DataLoaders: the latest job of each of these runs (a run relaunched after a failure has several), by run id. */
  async latestByRuns(runIds: readonly number[]): Promise<Map<number, Job>> {
    const latest = new Map<number, Job>();
    if (runIds.length === 0) return latest;
    const rows = await this.db.select().from(jobs).where(inArray(jobs.runId, [...runIds])).orderBy(desc(jobs.id));
    for (const row of rows) if (row.runId !== null && !latest.has(row.runId)) latest.set(row.runId, row);
    return latest;
  }

  async list(filter: { status?: JobStatus; kind?: string; afterId?: number | null; limit?: number } = {}): Promise<Page<Job>> {
    const limit = clampLimit(filter.limit);
    const rows = await this.db
      .select()
      .from(jobs)
      .where(
        and(
          filter.status ? eq(jobs.status, filter.status) : undefined,
          filter.kind ? eq(jobs.kind, filter.kind) : undefined,
          filter.afterId != null ? gt(jobs.id, filter.afterId) : undefined,
        ),
      )
      .orderBy(asc(jobs.id))
      .limit(limit + 1);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  /**
   * Takes this job for `workerId` if it is queued, or running with a stale heartbeat (its worker
   * died); `attempts` counts takes. Returns undefined when another worker holds it or it is done.
   * The job's checkpoint is kept, so the new holder resumes from it.
   */
  async claim(id: number, workerId: string, options: ClaimOptions = {}): Promise<Job | undefined> {
    const [row] = await this.db
      .update(jobs)
      .set(claimSet(workerId))
      .where(and(eq(jobs.id, id), claimable(options)))
      .returning();
    return row;
  }

  /**
   * Takes the oldest claimable job (of the given kinds). `FOR UPDATE SKIP LOCKED` lets many workers
   * poll at once without taking the same job or waiting on each other.
   */
  async claimNext(workerId: string, options: ClaimOptions & { kinds?: readonly string[] } = {}): Promise<Job | undefined> {
    const next = this.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(claimable(options), options.kinds ? inArray(jobs.kind, [...options.kinds]) : undefined))
      .orderBy(asc(jobs.id))
      .limit(1)
      .for('update', { skipLocked: true });
    // `id = (scalar subquery)`, the canonical queue pattern: the subquery runs once and locks one row.
    const [row] = await this.db.update(jobs).set(claimSet(workerId)).where(eq(jobs.id, sql`(${next})`)).returning();
    return row;
  }

  /** Proves the worker is alive. Throws JobLockLostError if the job was taken over. */
  async heartbeat(id: number, workerId: string): Promise<JobSignal> {
    const row = await this.updateHeld(id, workerId, { heartbeatAt: sql`now()` });
    return { cancelRequested: row.cancelRequestedAt !== null };
  }

  /** Records progress (and a checkpoint), which also counts as a heartbeat. */
  async reportProgress(id: number, workerId: string, progress: JobProgress): Promise<JobSignal> {
    const row = await this.updateHeld(id, workerId, {
      progressDone: progress.done,
      ...(progress.total !== undefined ? { progressTotal: progress.total } : {}),
      ...(progress.checkpoint !== undefined ? { checkpoint: progress.checkpoint } : {}),
      heartbeatAt: sql`now()`,
    });
    return { cancelRequested: row.cancelRequestedAt !== null };
  }

  async complete(id: number, workerId: string): Promise<Job> {
    return this.updateHeld(id, workerId, { status: 'finished', finishedAt: sql`now()`, lockedBy: null, error: null });
  }

  async fail(id: number, workerId: string, error: string): Promise<Job> {
    return this.updateHeld(id, workerId, { status: 'failed', finishedAt: sql`now()`, lockedBy: null, error });
  }

  /** The worker stopped because a cancel was requested. */
  async acknowledgeCancel(id: number, workerId: string): Promise<Job> {
    return this.updateHeld(id, workerId, { status: 'cancelled', finishedAt: sql`now()`, lockedBy: null });
  }

  /** Gives the job back to the queue (retry, shutdown), with the attempt's error; the checkpoint is kept for the next holder. */
  async release(id: number, workerId: string, error?: string): Promise<Job> {
    return this.updateHeld(id, workerId, { status: 'queued', lockedBy: null, lockedAt: null, ...(error !== undefined ? { error } : {}) });
  }

  /**
   * Runs `work` in a transaction that holds the job's row lock, and only while `workerId` holds the
   * job; throws JobLockLostError otherwise. A holder's last writes (its run's final state, then the
   * job's) go through here: a worker that lost the job cannot write over its successor, and no
   * successor can claim the job halfway through them (the claim waits on the row lock).
   */
  async withHeld<T>(id: number, workerId: string, work: (tx: LeadwiseDatabase) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      const [held] = await tx
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.id, id), eq(jobs.lockedBy, workerId), eq(jobs.status, 'running')))
        .for('update');
      if (!held) throw new JobLockLostError(id, workerId);
      return work(tx);
    });
  }

  /**
   * Asks for a job to stop: a queued job is cancelled at once; a running one is flagged and its
   * worker stops at its next heartbeat. Finished, failed and cancelled jobs are left as they are.
   */
  async requestCancel(id: number): Promise<Job> {
    return this.db.transaction(async (tx) => {
      const [current] = await tx.select().from(jobs).where(eq(jobs.id, id)).for('update');
      if (!current) throw new InvalidTransitionError('job', id, null, 'cancelled');
      if (current.status === 'queued') {
        const [row] = await tx
          .update(jobs)
          .set({ status: 'cancelled', cancelRequestedAt: sql`now()`, finishedAt: sql`now()`, updatedAt: sql`now()` })
          .where(eq(jobs.id, id))
          .returning();
        return row;
      }
      if (current.status === 'running') {
        const [row] = await tx
          .update(jobs)
          .set({ cancelRequestedAt: sql`coalesce(${jobs.cancelRequestedAt}, now())`, updatedAt: sql`now()` })
          .where(eq(jobs.id, id))
          .returning();
        return row;
      }
      return current;
    });
  }

  /**
   * Marks cancelled the running jobs that were asked to stop but whose worker stopped heartbeating
   * (it died before it could acknowledge). Returns how many. Workers call this now and then.
   */
  async expireCancelled(options: ClaimOptions = {}): Promise<number> {
    const rows = await this.db
      .update(jobs)
      .set({ status: 'cancelled', finishedAt: sql`now()`, lockedBy: null, updatedAt: sql`now()` })
      .where(and(eq(jobs.status, 'running'), isNotNull(jobs.cancelRequestedAt), stale(options)))
      .returning({ id: jobs.id });
    return rows.length;
  }

  /**
   * Hands back to the queue the running jobs whose worker stopped heartbeating, recording which
   * worker it was, and requeues their runs. Every worker runs this; the conditional UPDATE lets
   * exactly one of them win each stale job. The job rows and their runs change in one transaction:
   * the UPDATE holds the rows' locks until the runs are requeued, so a worker claiming a reaped job
   * cannot start its run in between (and have it set back to queued under it).
   */
  async reapStale(options: ClaimOptions = {}): Promise<Job[]> {
    return this.db.transaction(async (tx) => {
      const reaped = await tx
        .update(jobs)
        .set({ status: 'queued', lockedBy: null, error: sql`'worker ' || coalesce(${jobs.lockedBy}, '?') || ' stopped heartbeating'` })
        .where(and(eq(jobs.status, 'running'), isNotNull(jobs.heartbeatAt), stale(options)))
        .returning();
      const runStore = new RunStore(tx);
      for (const job of reaped) {
        if (job.runId !== null) await runStore.requeue(job.runId).catch(ignoreInvalidTransition);
      }
      return reaped;
    });
  }

  /**
   * Fails a job that is still queued (nobody claimed it since it was reaped) with `error`; a claimed
   * job is its holder's to settle. Returns whether it was failed.
   */
  async failIfQueued(id: number, error: string): Promise<boolean> {
    const failed = await this.db
      .update(jobs)
      .set({ status: 'failed', finishedAt: new Date(), error })
      .where(and(eq(jobs.id, id), eq(jobs.status, 'queued')))
      .returning({ id: jobs.id });
    return failed.length > 0;
  }

  private async updateHeld(id: number, workerId: string, set: PgUpdateSetSource<typeof jobs>): Promise<Job> {
    const [row] = await this.db
      .update(jobs)
      .set({ ...set, updatedAt: sql`now()` })
      .where(and(eq(jobs.id, id), eq(jobs.lockedBy, workerId), eq(jobs.status, 'running')))
      .returning();
    if (!row) throw new JobLockLostError(id, workerId);
    return row;
  }
}

function claimSet(workerId: string) {
  return {
    status: 'running' as const,
    lockedBy: workerId,
    lockedAt: sql`now()`,
    heartbeatAt: sql`now()`,
    startedAt: sql`coalesce(${jobs.startedAt}, now())`,
    attempts: sql`${jobs.attempts} + 1`,
    updatedAt: sql`now()`,
  };
}

function claimable(options: ClaimOptions): SQL | undefined {
  return and(
    isNull(jobs.cancelRequestedAt),
    or(
      eq(jobs.status, 'queued'),
      and(eq(jobs.status, 'running'), stale(options)),
    ),
  );
}

function stale(options: ClaimOptions): SQL {
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  return lt(jobs.heartbeatAt, sql`now() - make_interval(secs => ${staleAfterMs / 1000})`);
}

/** A run already moved on (e.g. cancelled meanwhile): the transition it would have made no longer applies. */
function ignoreInvalidTransition(error: unknown): void {
  if (!(error instanceof InvalidTransitionError)) throw error;
}
