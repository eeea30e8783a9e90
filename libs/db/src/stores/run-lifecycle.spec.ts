import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_DRIVERS, insertFixtureRecords, openTestDatabase, type TestDatabase } from '../testing.ts';
import { AttributionStore } from './attribution-store.ts';
import { JobStore } from './job-store.ts';
import { PredictionStore } from './prediction-store.ts';
import { withRun } from './run-lifecycle.ts';
import { RunStore } from './run-store.ts';

describe.each(TEST_DRIVERS)('withRun and the stores behind the study and the API on %s', (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.reset();
  });

  it('creates the run, logs its params, runs the work while the run is running, then finishes it', async () => {
    const { experimentId } = await insertFixtureRecords(t.db, 0);
    const runs = new RunStore(t.db);
    const created: number[] = [];
    const result = await withRun(
      runs,
      { run: { experimentId, kind: 'evaluate', model: 'm', name: 'eval' }, params: { split: 'test' }, onCreated: (id) => created.push(id) },
      async (run) => {
        // Inside the work the run is already running, with its params written.
        expect((await runs.getById(run.id))?.status).toBe('running');
        expect(await runs.getParams(run.id)).toEqual({ split: 'test' });
        return run.id;
      },
    );
    expect(created).toEqual([result]);
    const run = await runs.getById(result);
    expect(run?.status).toBe('finished');
    expect(run?.startTime).not.toBeNull();
    expect(run?.endTime).not.toBeNull();
    expect(run?.error).toBeNull();
  });

  it('marks the run failed with `Name: message` and rethrows the original error', async () => {
    const { runId } = await insertFixtureRecords(t.db, 0);
    const runs = new RunStore(t.db);
    const existing = (await runs.getById(runId))!;
    const thrown = new RangeError('epoch 3 diverged');
    const failure = await withRun(runs, { run: existing }, async () => {
      throw thrown;
    }).catch((error: unknown) => error);
    expect(failure).toBe(thrown);
    const run = await runs.getById(runId);
    expect(run?.status).toBe('failed');
    expect(run?.error).toBe('RangeError: epoch 3 diverged');
    expect(run?.endTime).not.toBeNull();
  });

  it('stores the caller’s error text, and with failOnError false leaves the run to the caller', async () => {
    const { experimentId } = await insertFixtureRecords(t.db, 0);
    const runs = new RunStore(t.db);
    let firstId = 0;
    await withRun(runs, { run: { experimentId, kind: 'llm', model: 'm' }, errorText: (e) => `redacted: ${(e as Error).message.replace(/sk-\w+/, '***')}` }, async (run) => {
      firstId = run.id;
      throw new Error('key sk-abc123 refused');
    }).catch(() => undefined);
    expect((await runs.getById(firstId))?.error).toBe('redacted: key *** refused');

    let secondId = 0;
    await withRun(runs, { run: { experimentId, kind: 'train', model: 'm' }, failOnError: false }, async (run) => {
      secondId = run.id;
      throw new Error('the job settles this run');
    }).catch(() => undefined);
    expect((await runs.getById(secondId))?.status).toBe('running');
  });

  it('fails the run when its params conflict, before it ever starts', async () => {
    const { runId } = await insertFixtureRecords(t.db, 0);
    const runs = new RunStore(t.db);
    await runs.logParams(runId, { lr: 0.1 });
    const failure = await withRun(runs, { run: (await runs.getById(runId))!, params: { lr: 0.2 } }, async () => 'never').catch((e: unknown) => e);
    expect((failure as Error).name).toBe('ParamConflictError');
    const run = await runs.getById(runId);
    expect(run?.status).toBe('failed');
    expect(run?.startTime).toBeNull();
  });

  it('reads an experiment’s finished test-split evaluation metrics in one query, leaving validation evaluations out', async () => {
    const { experimentId, datasetId, recordIds, runId: trainRunId } = await insertFixtureRecords(t.db, 1);
    const runs = new RunStore(t.db);
    const evaluation = async (split: string, auc: number, status: 'finished' | 'failed' = 'finished') => {
      const run = await runs.create({ experimentId, parentRunId: trainRunId, kind: 'evaluate', model: 'resnet18', seed: 2, datasetId });
      await runs.logParams(run.id, { split });
      await runs.logMetrics(run.id, [{ key: 'eval.roc_auc', value: auc }, { key: 'other', value: 1 }]);
      await runs.start(run.id);
      if (status === 'finished') await runs.finish(run.id);
      else await runs.fail(run.id, 'x');
      return run.id;
    };
    const test = await evaluation('test', 0.81);
    const val = await evaluation('val', 0.7);
    await evaluation('test', 0.9, 'failed');
    const rows = await runs.finishedEvaluationMetrics(experimentId, ['eval.roc_auc'], { key: 'split', value: 'val' });
    expect(rows).toEqual([{ runId: test, model: 'resnet18', seed: 2, dataset: expect.stringMatching(/^fixture-/), key: 'eval.roc_auc', value: 0.81 }]);
    expect(await runs.finishedChildParams(trainRunId, 'evaluate', 'split')).toEqual([
      { id: test, value: 'test' },
      { id: val, value: 'val' },
    ]);
    expect((await runs.listFinishedEvaluations(experimentId)).map((r) => r.id)).toEqual([test, val]);
    // The threshold's source: a finished evaluation of the train run that scored val records.
    expect(await runs.hasFinishedEvaluationOn(trainRunId, 'val')).toBe(false);
    await new PredictionStore(t.db).upsertMany([{ runId: val, recordId: recordIds[0]!, datasetId, split: 'val', trueLabel: 1, score: 0.9, predictedLabel: 1 }]);
    expect(await runs.hasFinishedEvaluationOn(trainRunId, 'val')).toBe(true);
  });

  it('lists runs newest first by filter, hides deleted runs from id lookups unless asked, and finds unfinished runs of a kind', async () => {
    const { experimentId, runId: trainRunId } = await insertFixtureRecords(t.db, 0);
    const runs = new RunStore(t.db);
    const a = await runs.create({ experimentId, kind: 'evaluate', model: 'a', parentRunId: trainRunId });
    const b = await runs.create({ experimentId, kind: 'evaluate', model: 'b', parentRunId: trainRunId });
    await runs.start(b.id);
    await runs.finish(b.id);
    expect((await runs.listNewest({ experimentId }, 10)).map((r) => r.id)).toEqual([b.id, a.id, trainRunId]);
    expect((await runs.listNewest({ kind: 'evaluate', status: 'finished' }, 10)).map((r) => r.id)).toEqual([b.id]);
    expect((await runs.listUnfinished([a.id, b.id, trainRunId], 'evaluate')).map((r) => r.id)).toEqual([a.id]);
    expect((await runs.listChildren(trainRunId, 'evaluate')).map((r) => r.id)).toEqual([a.id, b.id]);
    await runs.softDelete(a.id);
    expect((await runs.getByIds([a.id, b.id])).map((r) => r.id)).toEqual([b.id]);
    expect((await runs.getByIds([a.id, b.id], { includeDeleted: true })).map((r) => r.id).sort((x, y) => x - y)).toEqual([a.id, b.id]);
    expect((await runs.listByExperiments([experimentId])).map((r) => r.id)).toEqual([trainRunId, b.id]);
  });

  it('pools attributions per label and group with sample SDs, ordered by group or by label', async () => {
    const { recordIds, runId } = await insertFixtureRecords(t.db, 4);
    // Records 0 and 2 are normal, 1 and 3 abnormal (insertFixtureRecords).
    const weights = [0.2, 0.6, 0.4, 1.0];
    await new AttributionStore(t.db).upsertMany(
      recordIds.flatMap((recordId, i) => [
        { runId, recordId, groupName: 'limb', attentionWeight: weights[i], occlusionDelta: null },
        { runId, recordId, groupName: 'chest', attentionWeight: null, occlusionDelta: 0.1 },
      ]),
    );
    const byLabel = await new AttributionStore(t.db).summarizeByLabel(runId, { orderBy: 'label' });
    expect(byLabel.map((r) => `${r.label}/${r.groupName}`)).toEqual(['abnormal/chest', 'abnormal/limb', 'normal/chest', 'normal/limb']);
    const normalLimb = byLabel.find((r) => r.label === 'normal' && r.groupName === 'limb')!;
    // Mean of 0.2 and 0.4 is 0.3; their sample SD is sqrt(((0.1)^2 + (0.1)^2) / 1) = 0.141421...
    expect(normalLimb.n).toBe(2);
    expect(normalLimb.meanAttentionWeight).toBeCloseTo(0.3, 12);
    expect(normalLimb.sdAttentionWeight).toBeCloseTo(Math.SQRT2 / 10, 12);
    expect(normalLimb.meanOcclusionDelta).toBeNull();
    expect(normalLimb.sdOcclusionDelta).toBeNull();
    const byGroup = await new AttributionStore(t.db).summarizeByLabel(runId);
    expect(byGroup.map((r) => `${r.groupName}/${r.label}`)).toEqual(['chest/abnormal', 'chest/normal', 'limb/abnormal', 'limb/normal']);
  });

  it('reaps jobs whose worker stopped heartbeating: requeues them and their runs, naming the worker; fails only a job still queued', async () => {
    const { runId } = await insertFixtureRecords(t.db, 0);
    const jobs = new JobStore(t.db);
    const runs = new RunStore(t.db);
    const job = await jobs.create({ kind: 'train', runId, payload: {} });
    await jobs.claim(job.id, 'host-a:1:x');
    await runs.start(runId);
    // A live heartbeat: nothing is stale yet.
    expect(await jobs.reapStale({ staleAfterMs: 60_000 })).toEqual([]);
    // Any heartbeat is older than a negative limit: the job is stale now, whatever the machine's speed.
    const [reaped] = await jobs.reapStale({ staleAfterMs: -60_000 });
    expect(reaped?.id).toBe(job.id);
    expect(reaped?.status).toBe('queued');
    expect(reaped?.lockedBy).toBeNull();
    expect(reaped?.error).toBe('worker host-a:1:x stopped heartbeating');
    expect((await runs.getById(runId))?.status).toBe('queued');

    expect(await jobs.failIfQueued(job.id, 'no retries left')).toBe(true);
    expect((await jobs.getById(job.id))?.status).toBe('failed');
    const held = await jobs.create({ kind: 'train', runId: null, payload: {} });
    await jobs.claim(held.id, 'host-b:1:y');
    expect(await jobs.failIfQueued(held.id, 'no retries left')).toBe(false);
    expect((await jobs.getById(held.id))?.status).toBe('running');

    await jobs.setRunId(held.id, runId);
    await jobs.setQueueJobId(held.id, 'boss-1');
    const latest = await jobs.latestByRuns([runId]);
    expect(latest.get(runId)?.id).toBe(held.id);
    expect(latest.get(runId)?.queueJobId).toBe('boss-1');
  });
});
