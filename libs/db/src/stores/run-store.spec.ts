import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidTransitionError, ParamConflictError } from '../errors.ts';
import { TEST_DRIVERS, insertFixtureRecords, openTestDatabase, type TestDatabase } from '../testing.ts';
import { ExperimentStore } from './experiment-store.ts';
import { RunStore } from './run-store.ts';

describe.each(TEST_DRIVERS)('ExperimentStore and RunStore on %s', (driver) => {
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

  it('resumes the experiment of an unchanged config and starts a new one for a changed config', async () => {
    const store = new ExperimentStore(t.db);
    const a = await store.createOrGet({ name: 'study', config: { seeds: [1, 2] }, configHash: 'h1' });
    const again = await store.createOrGet({ name: 'study', config: { seeds: [1, 2] }, configHash: 'h1' });
    const changed = await store.createOrGet({ name: 'study', config: { seeds: [1, 2, 3] }, configHash: 'h2' });
    expect([a.created, again.created, changed.created]).toEqual([true, false, true]);
    expect(again.experiment.id).toBe(a.experiment.id);
    expect(changed.experiment.id).not.toBe(a.experiment.id);
    expect(await store.softDelete(a.experiment.id)).toBe(true);
    expect((await store.list()).items.map((e) => e.configHash)).toEqual(['h2']);
    expect(await store.getById(a.experiment.id)).toBeUndefined();
  });

  it('writes params once: same value again is fine, a different value throws and writes nothing', async () => {
    const { runId } = await insertFixtureRecords(t.db, 0);
    const runs = new RunStore(t.db);
    await runs.logParams(runId, { lr: 0.001, epochs: 10, augment: true });
    await runs.logParams(runId, { lr: 0.001 });
    const failure = await runs.logParams(runId, { lr: 0.01, batch: 32 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ParamConflictError);
    expect((failure as ParamConflictError).key).toBe('lr');
    // The conflicting call was one transaction: its new key `batch` must not have landed either.
    expect(await runs.getParams(runId)).toEqual({ augment: 'true', epochs: '10', lr: '0.001' });
  });

  it('keeps metric series in step order and the latest value by max step then time, whatever the arrival order', async () => {
    const { runId } = await insertFixtureRecords(t.db, 0);
    const runs = new RunStore(t.db);
    const t0 = new Date('2026-01-01T00:00:00Z');
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    await runs.logMetrics(runId, [
      { key: 'loss', value: 0.9, step: 0, timestamp: at(0) },
      { key: 'loss', value: 0.5, step: 2, timestamp: at(20) },
      { key: 'val_auc', value: 0.8, step: 2, timestamp: at(21) },
    ]);
    // A late-arriving earlier step must not replace the latest value.
    await runs.logMetric(runId, 'loss', 0.7, 1, at(30));
    // Same step, later timestamp: replaces (MLflow's tie rule).
    await runs.logMetric(runId, 'val_auc', 0.81, 2, at(40));
    const series = await runs.getMetricSeries(runId, 'loss');
    expect(series.map((m) => [m.step, m.value])).toEqual([
      [0, 0.9],
      [1, 0.7],
      [2, 0.5],
    ]);
    const latest = await runs.getLatestMetrics(runId);
    expect(latest.map((m) => [m.key, m.value, m.step])).toEqual([
      ['loss', 0.5, 2],
      ['val_auc', 0.81, 2],
    ]);
    expect((await runs.latestMetricsForRuns([runId], ['val_auc'])).map((m) => m.value)).toEqual([0.81]);
  });

  it('keeps one value per metric step: a replayed epoch overwrites its metrics instead of duplicating them', async () => {
    const { runId } = await insertFixtureRecords(t.db, 0);
    const runs = new RunStore(t.db);
    const epoch = (loss: number) => [
      { key: 'train.loss', value: loss, step: 1 },
      { key: 'val.roc_auc', value: 0.7, step: 1 },
    ];
    await runs.logMetrics(runId, epoch(0.9));
    // The job was retried and trained epoch 1 again:
    await runs.logMetrics(runId, epoch(0.8));
    await runs.logMetrics(runId, [...epoch(0.75), { key: 'train.loss', value: 0.6, step: 1 }]);
    const series = await runs.getMetricSeries(runId);
    expect(series.map((m) => [m.key, m.step, m.value])).toEqual([
      ['train.loss', 1, 0.6],
      ['val.roc_auc', 1, 0.7],
    ]);
  });

  it('stores NaN and infinite metric values as such (a diverged loss must be visible, not dropped)', async () => {
    const { runId } = await insertFixtureRecords(t.db, 0);
    const runs = new RunStore(t.db);
    await runs.logMetrics(runId, [
      { key: 'loss', value: Number.NaN, step: 1 },
      { key: 'grad_norm', value: Number.POSITIVE_INFINITY, step: 1 },
    ]);
    const latest = Object.fromEntries((await runs.getLatestMetrics(runId)).map((m) => [m.key, m.value]));
    expect(latest.loss).toBeNaN();
    expect(latest.grad_norm).toBe(Number.POSITIVE_INFINITY);
    expect((await runs.getMetricSeries(runId, 'loss'))[0].value).toBeNaN();
  });

  it('moves through statuses only along allowed transitions and records timings', async () => {
    const { runId } = await insertFixtureRecords(t.db, 0);
    const runs = new RunStore(t.db);
    await expect(runs.finish(runId)).rejects.toBeInstanceOf(InvalidTransitionError);
    const started = await runs.start(runId);
    expect(started.status).toBe('running');
    expect(started.startTime).toBeInstanceOf(Date);
    const finished = await runs.finish(runId);
    expect(finished.status).toBe('finished');
    expect(finished.wallTimeMs).toBeGreaterThanOrEqual(0);
    expect(finished.endTime!.getTime()).toBeGreaterThanOrEqual(started.startTime!.getTime());
    const err = await runs.start(runId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTransitionError);
    expect((err as InvalidTransitionError).from).toBe('finished');
    await expect(runs.cancel(987654)).rejects.toThrow('run 987654 does not exist');
  });

  it('records a failure with its error, and a retry goes back to queued', async () => {
    const { runId } = await insertFixtureRecords(t.db, 0);
    const runs = new RunStore(t.db);
    await runs.start(runId);
    const failed = await runs.fail(runId, 'out of memory');
    expect([failed.status, failed.error]).toEqual(['failed', 'out of memory']);
    expect((await runs.requeue(runId)).status).toBe('queued');
    expect((await runs.start(runId)).error).toBeNull();
  });

  it('keeps one artifact per path (re-logging re-points it) and hides soft-deleted runs', async () => {
    const { runId, experimentId } = await insertFixtureRecords(t.db, 0);
    const runs = new RunStore(t.db);
    await runs.addArtifact({ runId, path: 'checkpoint/model.json', kind: 'checkpoint', uri: 'file:///a/model.json', sha256: 'a' });
    await runs.addArtifact({ runId, path: 'checkpoint/model.json', kind: 'checkpoint', uri: 'file:///b/model.json', sha256: 'b' });
    expect((await runs.listArtifacts(runId)).map((a) => a.uri)).toEqual(['file:///b/model.json']);
    await runs.setTags(runId, { note: 'first' });
    await runs.setTags(runId, { note: 'second' });
    expect(await runs.getTags(runId)).toEqual({ note: 'second' });
    expect(await runs.listByExperiment(experimentId)).toHaveLength(1);
    expect(await runs.softDelete(runId)).toBe(true);
    expect(await runs.getById(runId)).toBeUndefined();
    expect(await runs.listByExperiment(experimentId)).toEqual([]);
    expect((await runs.getById(runId, { includeDeleted: true }))?.id).toBe(runId);
  });
});
