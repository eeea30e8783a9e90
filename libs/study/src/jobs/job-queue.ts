import PgBoss from 'pg-boss';
import { JobStore, RunStore, type Job, type LeadwiseDatabase } from '@leadwise/db';
import { QueueConnectionError, bossDbFor, bossDbInTransaction } from './boss-db.ts';
import { JOB_KINDS, queueName, type JobKind } from './job-kinds.ts';

export interface JobQueueOptions {
  /** Times pg-boss redelivers a job after a failure or a dead worker (default 3). */
  retryLimit?: number;
  /** Seconds between a failure and its retry (default 2). */
  retryDelayS?: number;
  /**
   * Run pg-boss maintenance (expiry, archiving) in this process. Every worker does; an API-only
   * process need not (default true).
   */
  supervise?: boolean;
  onError?: (error: Error) => void;
}

export interface EnqueueRequest {
  kind: JobKind;
  runId: number | null;
  payload: Record<string, unknown>;
}

/**
 * Leadwise's job queue: pg-boss (PostgreSQL `SKIP LOCKED` delivery, retries) for who runs what,
 * plus Leadwise's own `jobs` row for what the API shows (status, progress, attempts, checkpoint,
 * cancel requests). pg-boss 10 is used because 11+ needs Node 22.
 */
export class JobQueue {
  private constructor(
    readonly db: LeadwiseDatabase,
    readonly boss: PgBoss,
    readonly retryLimit: number,
    private readonly retryDelayS: number,
  ) {}

  static async start(db: LeadwiseDatabase, options: JobQueueOptions = {}): Promise<JobQueue> {
    const boss = new PgBoss({
      db: bossDbFor(db) as PgBoss.Db,
      supervise: options.supervise ?? true,
      schedule: false,
      // Dead workers are detected by Leadwise's heartbeat (see the worker), not by a fixed expiry:
      // training may take hours. pg-boss only expires jobs that outlive this bound.
      expireInHours: 23,
    });
    boss.on('error', options.onError ?? ((): void => undefined));
    await boss.start();
    const retryLimit = options.retryLimit ?? 3;
    const retryDelayS = options.retryDelayS ?? 2;
    for (const kind of JOB_KINDS) {
      const name = queueName(kind);
      if (await boss.getQueue(name)) continue;
      try {
        await boss.createQueue(name, { name, retryLimit, retryDelay: retryDelayS, expireInSeconds: 23 * 3600 });
      } catch (error) {
        // Another process created it between our check and our create.
        if (!(await boss.getQueue(name))) throw error;
      }
    }
    return new JobQueue(db, boss, retryLimit, retryDelayS);
  }

  /**
   * Records a job and hands it to the queue, in one transaction: a job row without its queue entry
   * (which no worker would ever run) cannot be left behind. Any worker watching its kind may claim it.
   */
  async enqueue(request: EnqueueRequest): Promise<Job> {
    return this.db.transaction(async (tx) => {
      const jobStore = new JobStore(tx);
      const job = await jobStore.create({ kind: request.kind, runId: request.runId, payload: request.payload, status: 'queued' });
      const queueJobId = await this.boss.send(queueName(request.kind), { jobId: job.id }, {
        retryLimit: this.retryLimit,
        retryDelay: this.retryDelayS,
        expireInHours: 23,
        db: bossDbInTransaction(tx) as PgBoss.Db,
      });
      if (!queueJobId) throw new QueueConnectionError(`the queue refused job ${job.id} (${queueName(request.kind)}); nothing was queued`);
      return jobStore.setQueueJobId(job.id, queueJobId);
    });
  }

  /**
   * Cancels a run's unfinished jobs. Queued jobs are cancelled here and never start; running ones get
   * `cancel_requested_at` and their worker stops them at its next heartbeat (within seconds).
   */
  async cancelRun(runId: number): Promise<void> {
    const jobStore = new JobStore(this.db);
    let stillRunning = false;
    for (const job of await jobStore.getByRunId(runId)) {
      if (job.status !== 'queued' && job.status !== 'running') continue;
      const after = await jobStore.requestCancel(job.id);
      if (after.status === 'cancelled' && after.queueJobId) await this.boss.cancel(queueName(after.kind), after.queueJobId);
      if (after.status === 'running') stillRunning = true;
    }
    // A run nobody is running ends now; a running one ends when its worker acknowledges the cancel.
    if (!stillRunning) {
      const runStore = new RunStore(this.db);
      const run = await runStore.getById(runId);
      if (run && (run.status === 'queued' || run.status === 'running')) await runStore.cancel(runId);
    }
  }

  /** Cancels one job: a queued one at once, a running one at its worker's next heartbeat. */
  async cancelJob(jobId: number): Promise<Job> {
    const after = await new JobStore(this.db).requestCancel(jobId);
    if (after.status === 'cancelled' && after.queueJobId) await this.boss.cancel(queueName(after.kind), after.queueJobId);
    if (after.status === 'cancelled' && after.runId !== null) {
      const runStore = new RunStore(this.db);
      const run = await runStore.getById(after.runId);
      if (run && (run.status === 'queued' || run.status === 'running')) await runStore.cancel(after.runId);
    }
    return after;
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, close: false, timeout: 10_000 });
  }
}
