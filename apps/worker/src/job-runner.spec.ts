import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { datasets, experiments, jobs, predictions, records, runs, PredictionStore } from '@leadwise/db';
import { TEST_DRIVERS, eq, failedQuery, openTestDatabase, sql, type TestDatabase } from '@leadwise/db/testing';
import { JobQueue, queueName, type JobContext, type JobHandlerRegistry } from '@leadwise/study';
import { JobRunner } from './job-runner.ts';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const BLOCK_THREAD = fileURLToPath(new URL('./testing/block-thread.mjs', import.meta.url));

// The runner against a real queue (pg-boss) and a real database on both drivers. The handlers are
// the tests' own: they write predictions the way an evaluation does (upsert per batch, checkpoint
// after each), so the runner's claim/heartbeat/cancel/retry behaviour is what is under test.
describe.each(TEST_DRIVERS)('job runner on %s', (driver) => {
  let database: TestDatabase;
  let queue: JobQueue;
  let experimentId: number;
  let datasetId: number;
  let recordIds: number[];
  const runners: JobRunner[] = [];

  beforeAll(async () => {
    database = await openTestDatabase(driver);
    queue = await JobQueue.start(database.db, { retryLimit: 2, retryDelayS: 0 });
    const [dataset] = await database.db.insert(datasets).values({ name: 'd', kind: 'manifest', sourcePath: '/d', labelRule: 'manifest' }).returning();
    datasetId = dataset!.id;
    recordIds = (
      await database.db
        .insert(records)
        .values(Array.from({ length: 40 }, (_, i) => ({ datasetId, externalId: `r${i}`, label: i % 2 ? ('abnormal' as const) : ('normal' as const), sourceCodes: [], samplingRateHz: 100, lengthSamples: 1000, signalPath: `r${i}` })))
        .returning({ id: records.id })
    ).map((r) => r.id);
    const [experiment] = await database.db.insert(experiments).values({ name: 'e', config: {}, configHash: `h-${driver}` }).returning();
    experimentId = experiment!.id;
  });

  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
  });

  afterAll(async () => {
    await queue?.stop();
    await database?.close();
  });

  async function launch(kind: 'evaluate' | 'train' = 'evaluate') {
    const [run] = await database.db.insert(runs).values({ experimentId, kind, model: 'm', datasetId, status: 'queued' }).returning();
    const job = await queue.enqueue({ kind, runId: run!.id, payload: { runId: run!.id } });
    return { runId: run!.id, jobId: job.id };
  }

  function startRunner(handlers: JobHandlerRegistry, options: { staleAfterS?: number; heartbeatS?: number } = {}) {
    const runner = new JobRunner(database.db, queue, handlers, { heartbeatS: options.heartbeatS ?? 0.2, pollingIntervalS: 0.5, staleAfterS: options.staleAfterS ?? 30 });
    runners.push(runner);
    return runner.start().then(() => runner);
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const jobRow = async (id: number) => (await database.db.select().from(jobs).where(eq(jobs.id, id)))[0]!;
  const runRow = async (id: number) => (await database.db.select().from(runs).where(eq(runs.id, id)))[0]!;

  /** Predicts the records in batches of 10 from the checkpoint on, checkpointing after each batch. */
  function predictingHandler(calls: { runId: number; attempt: number; startedAt: number }[], options: { pauseMs?: number } = {}) {
    return async (ctx: JobContext) => {
      const runId = Number(ctx.job.payload.runId);
      const start = Number(ctx.checkpoint?.nextIndex ?? 0);
      calls.push({ runId, attempt: ctx.attempt, startedAt: start });
      for (let i = start; i < recordIds.length; i += 10) {
        ctx.signal.throwIfAborted();
        const batch = recordIds.slice(i, i + 10).map((recordId, k) => ({ runId, recordId, datasetId, split: null, trueLabel: (i + k) % 2, score: 0.5, predictedLabel: 1 }));
        await new PredictionStore(ctx.db).upsertMany(batch);
        await ctx.saveCheckpoint({ nextIndex: i + 10 });
        await ctx.reportProgress(Math.min(i + 10, recordIds.length), recordIds.length);
        if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
      }
    };
  }

  it('runs each job exactly once across competing workers and records status and progress', async () => {
    const calls: { runId: number; attempt: number; startedAt: number }[] = [];
    const handler = predictingHandler(calls);
    await startRunner({ evaluate: handler });
    await startRunner({ evaluate: handler });
    const launched = await Promise.all(Array.from({ length: 6 }, () => launch()));
    for (const { jobId, runId } of launched) {
      const job = await waitFor(`job ${jobId}`, async () => {
        const row = await jobRow(jobId);
        return row.status === 'finished' ? row : null;
      });
      expect(job).toMatchObject({ attempts: 1, progressDone: 40, progressTotal: 40, lockedBy: null });
      const run = await runRow(runId);
      expect(run.status).toBe('finished');
      expect(run.startTime).not.toBeNull();
      expect(run.endTime).not.toBeNull();
    }
    expect(calls.map((c) => c.runId).sort()).toEqual(launched.map((l) => l.runId).sort());
  });

  it('stops a running job when its run is cancelled', async () => {
    const calls: { runId: number; attempt: number; startedAt: number }[] = [];
    await startRunner({ evaluate: predictingHandler(calls, { pauseMs: 400 }) });
    const { runId, jobId } = await launch();
    await waitFor('the job to start', async () => (await jobRow(jobId)).status === 'running');
    await queue.cancelRun(runId);
    const job = await waitFor('the cancel', async () => {
      const row = await jobRow(jobId);
      return row.status === 'cancelled' ? row : null;
    });
    expect(job.progressDone).toBeLessThan(40);
    expect((await runRow(runId)).status).toBe('cancelled');
  });

  it('retries a failed attempt, then gives up after the retry limit', async () => {
    let attempts = 0;
    await startRunner({
      evaluate: async () => {
        attempts++;
        throw new Error(`bad input in attempt ${attempts}`);
      },
    });
    const { runId, jobId } = await launch();
    const job = await waitFor('the final failure', async () => {
      const row = await jobRow(jobId);
      return row.status === 'failed' ? row : null;
    });
    // retryLimit 2: the first attempt and two retries.
    expect(attempts).toBe(3);
    expect(job.attempts).toBe(3);
    expect(job.error).toBe('bad input in attempt 3');
    const run = await runRow(runId);
    expect(run).toMatchObject({ status: 'failed', error: 'bad input in attempt 3' });
  });

  it('hands the job of a dead worker to a live one, which resumes from the checkpoint without duplicates', async () => {
    const { runId, jobId } = await launch();
    // A worker that claimed the job, wrote two batches and a checkpoint, then died (no more heartbeats):
    const [delivered] = await queue.boss.fetch<{ jobId: number }>(queueName('evaluate'));
    expect(delivered!.data.jobId).toBe(jobId);
    await database.db
      .update(jobs)
      .set({ status: 'running', lockedBy: 'dead-host:1:x', attempts: 1, heartbeatAt: sql`now() - interval '1 hour'`, checkpoint: { nextIndex: 20 } })
      .where(eq(jobs.id, jobId));
    await database.db.update(runs).set({ status: 'running' }).where(eq(runs.id, runId));
    await new PredictionStore(database.db).upsertMany(
      recordIds.slice(0, 20).map((recordId, i) => ({ runId, recordId, datasetId, split: null, trueLabel: i % 2, score: 0.5, predictedLabel: 1 })),
    );

    const calls: { runId: number; attempt: number; startedAt: number }[] = [];
    await startRunner({ evaluate: predictingHandler(calls) }, { staleAfterS: 1 });
    const job = await waitFor('the retried job', async () => {
      const row = await jobRow(jobId);
      return row.status === 'finished' ? row : null;
    });
    expect(calls).toEqual([{ runId, attempt: 2, startedAt: 20 }]);
    expect(job.attempts).toBe(2);
    const [{ n, distinct }] = (await database.db
      .select({ n: sql<number>`count(*)::int`, distinct: sql<number>`count(distinct ${predictions.recordId})::int` })
      .from(predictions)
      .where(eq(predictions.runId, runId))) as [{ n: number; distinct: number }];
    expect(n).toBe(40);
    expect(distinct).toBe(40);
    expect((await runRow(runId)).status).toBe('finished');
  });

  it('keeps a job whose work blocks a thread longer than the stale limit: two workers, one attempt, finished', async () => {
    const { runId, jobId } = await launch();
    const attempts: number[] = [];
    // The heavy work runs in a child process (as training does), holding its thread for three stale
    // limits; the worker's own event loop stays free, so its heartbeats keep the job.
    const blocking = async (ctx: JobContext) => {
      attempts.push(ctx.attempt);
      await execFileAsync(process.execPath, [BLOCK_THREAD, '3000'], { signal: ctx.signal });
      await database.db.update(runs).set({ name: `written by attempt ${ctx.attempt}` }).where(eq(runs.id, runId));
    };
    await startRunner({ evaluate: blocking }, { staleAfterS: 1 });
    await startRunner({ evaluate: blocking }, { staleAfterS: 1 });
    const job = await waitFor('the job to end', async () => {
      const row = await jobRow(jobId);
      return ['finished', 'failed'].includes(row.status) ? row : null;
    });
    expect(job.status).toBe('finished');
    expect(job.attempts).toBe(1);
    expect(attempts).toEqual([1]);
    expect(await runRow(runId)).toMatchObject({ status: 'finished', name: 'written by attempt 1' });
  });

  it('writes nothing for an attempt whose job was taken over, even when its handler then succeeds', async () => {
    const { runId, jobId } = await launch();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    // No heartbeat during the test: the displaced attempt only learns of the takeover from its own writes.
    await startRunner({ evaluate: async () => (started(), held) }, { heartbeatS: 60 });
    await running;
    await database.db.update(jobs).set({ lockedBy: 'successor:1:x', error: null }).where(eq(jobs.id, jobId));
    const runBefore = await runRow(runId);
    release();
    await waitFor('the displaced attempt to stop', async () => (runners[0]!['active'].size === 0 ? true : null));
    expect(await jobRow(jobId)).toMatchObject({ status: 'running', lockedBy: 'successor:1:x', error: null });
    expect((await runRow(runId)).status).toBe(runBefore.status);
  });

  it('records a job and its queue entry together: a send the queue refuses leaves no job row', async () => {
    const before = (await database.db.select().from(jobs)).length;
    const { jobId } = await launch();
    expect((await jobRow(jobId)).queueJobId).toBeTruthy();
    await expect(queue.enqueue({ kind: 'no-such-kind' as 'train', runId: null, payload: {} })).rejects.toThrow();
    expect((await database.db.select().from(jobs)).length).toBe(before + 1);
  });

  it('stores and logs a failed query without its parameters (they hold client input and patient data)', async () => {
    const { jobId } = await launch();
    const logged: string[] = [];
    const failingQuery = async () => {
      throw failedQuery('select * from records where patient_id = $1', ['patient-4711'], new Error('deadlock detected'));
    };
    const runner = new JobRunner(database.db, queue, { evaluate: failingQuery }, { heartbeatS: 0.2, pollingIntervalS: 0.5, log: (m) => logged.push(m) });
    runners.push(runner);
    await runner.start();
    const job = await waitFor('the job to fail for good', async () => {
      const row = await jobRow(jobId);
      return row.status === 'failed' ? row : null;
    });
    expect(job.error).toBe('Failed query: select * from records where patient_id = $1 (1 parameters, not shown): deadlock detected');
    expect(logged.join('\n')).not.toContain('patient-4711');
  });
});
