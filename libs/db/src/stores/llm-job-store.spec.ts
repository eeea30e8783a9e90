import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JobLockLostError } from '../errors.ts';
import type { NewLlmResponse } from '../schema/llm-responses.ts';
import { TEST_DRIVERS, insertFixtureRecords, openTestDatabase, type FixtureRecords, type TestDatabase } from '../testing.ts';
import { JobStore } from './job-store.ts';
import { LlmResponseStore } from './llm-response-store.ts';

describe.each(TEST_DRIVERS)('LlmResponseStore and JobStore on %s', (driver) => {
  let t: TestDatabase;
  let f: FixtureRecords;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.reset();
    f = await insertFixtureRecords(t.db, 2);
  });

  function answer(overrides: Partial<NewLlmResponse> = {}): NewLlmResponse {
    return {
      runId: f.runId,
      recordId: f.recordIds[0],
      model: 'gpt-4.1',
      provider: 'openai',
      promptName: 'normal-vs-abnormal-v1',
      promptHash: 'p1',
      imageSha256: 'img1',
      imageStyle: 'grid',
      repeatIndex: 0,
      temperature: 0,
      rawText: '{"label":"abnormal","probability":0.8}',
      parsedLabel: 1,
      parsedScore: 0.8,
      scoreSource: 'stated-probability',
      parseStatus: 'parsed',
      latencyMs: 1200,
      ...overrides,
    };
  }

  it('caches by (model, prompt hash, image, repeat): a second insert returns the first answer', async () => {
    const store = new LlmResponseStore(t.db);
    const first = await store.insertIfAbsent(answer());
    const second = await store.insertIfAbsent(answer({ rawText: 'normal', parsedLabel: 0, parsedScore: 0.1 }));
    expect([first.inserted, second.inserted]).toEqual([true, false]);
    expect(second.response.id).toBe(first.response.id);
    expect(second.response.parsedScore).toBe(0.8);
    const otherRepeat = await store.insertIfAbsent(answer({ repeatIndex: 1 }));
    expect(otherRepeat.inserted).toBe(true);
    const hit = await store.getByCacheKey({ model: 'gpt-4.1', promptHash: 'p1', imageSha256: 'img1', repeatIndex: 1 });
    expect(hit?.id).toBe(otherRepeat.response.id);
    expect((await store.listByRun(f.runId)).items).toHaveLength(2);
  });

  it('ends with one row when several writers race on one cache key', async () => {
    const store = new LlmResponseStore(t.db);
    const results = await Promise.all([0.1, 0.2, 0.3, 0.4, 0.5].map((parsedScore) => store.insertIfAbsent(answer({ parsedScore }))));
    expect(results.filter((r) => r.inserted)).toHaveLength(1);
    expect(new Set(results.map((r) => r.response.id)).size).toBe(1);
    expect((await store.listByRun(f.runId)).items).toHaveLength(1);
  });

  it('replaces a cached error (no answer) but never a real answer', async () => {
    const store = new LlmResponseStore(t.db);
    const failed = await store.insertIfAbsent(answer({ rawText: null, parsedLabel: null, parsedScore: null, parseStatus: 'error', error: '429' }));
    const retried = await store.insertIfAbsent(answer());
    expect(retried.inserted).toBe(true);
    expect(retried.response.id).toBe(failed.response.id);
    expect([retried.response.parseStatus, retried.response.error]).toEqual(['parsed', null]);
  });

  it('lets one worker claim a job, resumes a stale one from its checkpoint, and rejects the old holder', async () => {
    const jobs = new JobStore(t.db);
    const job = await jobs.create({ kind: 'train', payload: { runId: f.runId }, runId: f.runId });
    const claimed = await jobs.claimNext('worker-a');
    expect(claimed?.id).toBe(job.id);
    expect(claimed?.attempts).toBe(1);
    expect(await jobs.claimNext('worker-b')).toBeUndefined();
    await jobs.reportProgress(job.id, 'worker-a', { done: 3, total: 10, checkpoint: { epoch: 3 } });
    // Worker A goes silent: with a zero staleness window its job is claimable again.
    await t.db.execute(sql`select pg_sleep(0.01)`);
    const resumed = await jobs.claim(job.id, 'worker-b', { staleAfterMs: 0 });
    expect(resumed?.lockedBy).toBe('worker-b');
    expect(resumed?.checkpoint).toEqual({ epoch: 3 });
    expect(resumed?.progressDone).toBe(3);
    expect(resumed?.attempts).toBe(2);
    await expect(jobs.heartbeat(job.id, 'worker-a')).rejects.toBeInstanceOf(JobLockLostError);
    const done = await jobs.complete(job.id, 'worker-b');
    expect(done.status).toBe('finished');
    expect(await jobs.claim(job.id, 'worker-c', { staleAfterMs: 0 })).toBeUndefined();
  });

  it('gives each job to exactly one of several workers claiming at once', async () => {
    const jobs = new JobStore(t.db);
    for (let i = 0; i < 3; i++) await jobs.create({ kind: 'train' });
    const claims = await Promise.all(['w1', 'w2', 'w3', 'w4', 'w5'].map((worker) => jobs.claimNext(worker)));
    const claimedIds = claims.flatMap((job) => (job ? [job.id] : []));
    expect(claimedIds).toHaveLength(3);
    expect(new Set(claimedIds).size).toBe(3);
  });

  it('cancels a queued job at once and signals a running one through its heartbeat', async () => {
    const jobs = new JobStore(t.db);
    const queued = await jobs.create({ kind: 'evaluate' });
    expect((await jobs.requestCancel(queued.id)).status).toBe('cancelled');
    expect(await jobs.claimNext('w')).toBeUndefined();
    const running = await jobs.create({ kind: 'evaluate' });
    await jobs.claimNext('w');
    expect(await jobs.heartbeat(running.id, 'w')).toEqual({ cancelRequested: false });
    expect((await jobs.requestCancel(running.id)).status).toBe('running');
    expect(await jobs.heartbeat(running.id, 'w')).toEqual({ cancelRequested: true });
    expect((await jobs.acknowledgeCancel(running.id, 'w')).status).toBe('cancelled');
  });
});
