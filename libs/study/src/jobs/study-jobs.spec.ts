import { datasets, experiments, runs, type Job } from '@leadwise/db';
import { eq, openTestDatabase, type TestDatabase } from '@leadwise/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext } from './job-handler.ts';
import { runEvaluateJob } from './study-jobs.ts';

describe('study job handlers', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('pglite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('fails only the evaluation its own dead attempt left running, not another job\'s of the same run and dataset', async () => {
    const [dataset] = await t.db.insert(datasets).values({ name: 'd', kind: 'manifest', sourcePath: '/d', labelRule: 'manifest' }).returning();
    const [experiment] = await t.db.insert(experiments).values({ name: 'e', config: {}, configHash: 'h' }).returning();
    // A train run without a checkpoint: the retried evaluation itself stops early, after the clean-up.
    const [train] = await t.db.insert(runs).values({ experimentId: experiment!.id, kind: 'train', model: 'resnet18', status: 'finished' }).returning();
    const evaluation = (split: string) => ({ experimentId: experiment!.id, kind: 'evaluate' as const, model: 'resnet18', parentRunId: train!.id, datasetId: dataset!.id, status: 'running' as const, name: split });
    const [abandoned, othersLive] = await t.db.insert(runs).values([evaluation('test'), evaluation('val')]).returning();
    const saved: Record<string, unknown>[] = [];
    const ctx: JobContext = {
      db: t.db,
      job: { id: 1, payload: { trainRunId: train!.id, dataset: 'd' } } as unknown as Job,
      attempt: 2,
      signal: new AbortController().signal,
      checkpoint: { pendingEvaluationRunIds: [abandoned!.id] },
      saveCheckpoint: async (state) => void saved.push(state),
      reportProgress: async () => undefined,
      log: () => undefined,
    };
    await expect(runEvaluateJob(ctx)).rejects.toThrow(/has no checkpoint/);
    const status = async (id: number) => (await t.db.select({ status: runs.status }).from(runs).where(eq(runs.id, id)))[0]!.status;
    expect(await status(abandoned!.id)).toBe('failed');
    expect(await status(othersLive!.id)).toBe('running');
  });
});
