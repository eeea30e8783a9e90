import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_DRIVERS, openTestDatabase, type TestDatabase } from '../testing.ts';
import { ExperimentStore, type StudyExperimentPlan } from './experiment-store.ts';
import { RunStore } from './run-store.ts';

const plan: StudyExperimentPlan & { config: { name: string; profile: string; input?: string } } = {
  config: { name: 'study', profile: 'quick', input: undefined },
  hash: 'a'.repeat(64),
  seeds: [1],
  recordLimits: { train: 480, val: 160, test: 400, external: null },
  llm: { repeats: 1, limit: 20 },
};

describe.each(TEST_DRIVERS)('ExperimentStore.createOrGetStudy on %s', (driver) => {
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

  it('stores the config at top level with the profile decisions under plan, once per hash, whoever writes first', async () => {
    const store = new ExperimentStore(t.db);
    const first = await store.createOrGetStudy(plan);
    expect(first.created).toBe(true);
    expect(first.experiment).toMatchObject({ name: 'study', configHash: plan.hash });
    expect(first.experiment.config).toEqual({
      name: 'study',
      profile: 'quick',
      plan: { seeds: [1], recordLimits: { train: 480, val: 160, test: 400, external: null }, llm: { repeats: 1, limit: 20 } },
    });
    const again = await store.createOrGetStudy(plan);
    expect(again.created).toBe(false);
    expect(again.experiment.id).toBe(first.experiment.id);
    expect((await store.getByConfigHash(plan.hash))!.config).toEqual(first.experiment.config);
  });

  it("gives the experiment's last run end, or nothing before a run has ended", async () => {
    const { experiment } = await new ExperimentStore(t.db).createOrGetStudy(plan);
    const runs = new RunStore(t.db);
    expect(await runs.lastEndTime(experiment.id)).toBeUndefined();
    const run = await runs.create({ experimentId: experiment.id, kind: 'train', model: 'resnet18', seed: 1 });
    await runs.start(run.id);
    const finished = await runs.finish(run.id);
    expect((await runs.lastEndTime(experiment.id))!.getTime()).toBe(new Date(finished.endTime!).getTime());
  });
});
