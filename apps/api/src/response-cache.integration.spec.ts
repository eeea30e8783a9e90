/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL responses are untyped JSON; the assertions check their shape */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictions, runs, type DataChangeListener, type DataChangeWatch } from '@leadwise/db';
import { TEST_DRIVERS, eq, openTestDatabase, type TestDatabase } from '@leadwise/db/testing';
import { createApiServer } from './server.ts';
import { createContext } from './context.ts';
import { ResponseCache } from './response-cache.ts';
import { seedApiFixture, type ApiFixture } from './testing.ts';

type Server = Awaited<ReturnType<typeof createApiServer>>['server'];

/**
 * The database's own watch, with a way to wait until it has heard a change to a table: the point
 * after which the API must answer with the change.
 */
function observedWatch(database: TestDatabase) {
  const waiting: { table: string; wake: () => void }[] = [];
  const watch = (listener: DataChangeListener) =>
    database.watchDataChanges((table) => {
      listener(table);
      for (const w of waiting.splice(0)) {
        if (w.table === table) w.wake();
        else waiting.push(w);
      }
    });
  const heard = (table: string) => new Promise<void>((wake) => waiting.push({ table, wake }));
  return { watch, heard };
}

/** A watch that hears nothing yet claims to be live: what a cache without invalidation would serve. */
const deafWatch = async (): Promise<DataChangeWatch> => ({ live: true, stop: async () => undefined });

describe.each(TEST_DRIVERS)('cached query answers (%s)', (driver) => {
  let database: TestDatabase;
  let fixture: ApiFixture;
  const servers: Server[] = [];

  beforeAll(async () => {
    database = await openTestDatabase(driver);
    fixture = await seedApiFixture(database.db);
  });

  afterAll(async () => {
    for (const server of servers) await server.stop();
    await database?.close();
  });

  async function serverWith(watchDataChanges: (listener: DataChangeListener) => Promise<DataChangeWatch>, responseCache = new ResponseCache()) {
    const { server } = await createApiServer({ db: database.db, queue: null, auth: { apiKey: 'k', queriesRequireKey: false }, logError: () => undefined, watchDataChanges, responseCache });
    await server.start();
    servers.push(server);
    return async (query: string, variables: Record<string, unknown> = {}) => {
      const response = await server.executeOperation({ query, variables }, { contextValue: createContext(database.db, { hasValidKey: false }, null) });
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return response.body.singleResult as { data?: Record<string, any>; errors?: { message: string }[] };
    };
  }

  const RUN_NAMES = `query ($e: Int!) { experiment(id: $e) { runs(first: 1000) { name } } }`;

  it('serves a repeated query from the cache (a watch that hears nothing keeps the first answer)', async () => {
    const execute = await serverWith(deafWatch);
    const before = (await execute(RUN_NAMES, { e: fixture.experimentId })).data!.experiment.runs.length;
    const [run] = await database.db.insert(runs).values({ experimentId: fixture.experimentId, kind: 'evaluate', model: 'resnet18', status: 'finished', name: 'unheard run' }).returning();
    try {
      expect((await execute(RUN_NAMES, { e: fixture.experimentId })).data!.experiment.runs).toHaveLength(before);
    } finally {
      await database.db.delete(runs).where(eq(runs.id, run!.id));
    }
  });

  it('shows a run written by another process once its commit is heard', async () => {
    const { watch, heard } = observedWatch(database);
    const execute = await serverWith(watch);
    const names = async () => (await execute(RUN_NAMES, { e: fixture.experimentId })).data!.experiment.runs.map((r: { name: string }) => r.name);
    expect(await names()).not.toContain('new run');
    const runsChanged = heard('runs');
    await database.db.insert(runs).values({ experimentId: fixture.experimentId, kind: 'evaluate', model: 'resnet18', status: 'finished', name: 'new run' });
    await runsChanged;
    expect(await names()).toContain('new run');
  });

  it('shows a new prediction in the predictions page and its count once its commit is heard', async () => {
    const { watch, heard } = observedWatch(database);
    const execute = await serverWith(watch);
    const page = `query ($r: Int!) { predictions(runId: $r, first: 500) { totalCount nodes { recordId score } } }`;
    const [run] = await database.db.insert(runs).values({ experimentId: fixture.experimentId, kind: 'evaluate', model: 'resnet18', status: 'finished', name: 'growing run' }).returning();
    const recordId = fixture.recordIds[0]!;
    expect((await execute(page, { r: run!.id })).data!.predictions).toEqual({ totalCount: 0, nodes: [] });
    const predictionsChanged = heard('predictions');
    await database.db.insert(predictions).values({ runId: run!.id, recordId, datasetId: fixture.internalDatasetId, split: 'test', trueLabel: 1, score: 0.75, predictedLabel: 1 });
    await predictionsChanged;
    expect((await execute(page, { r: run!.id })).data!.predictions).toEqual({ totalCount: 1, nodes: [{ recordId, score: 0.75 }] });
  });

  it('runs every query while the watch is not live (changes could go unheard)', async () => {
    const execute = await serverWith(async () => ({ live: false, stop: async () => undefined }));
    const before = (await execute(RUN_NAMES, { e: fixture.experimentId })).data!.experiment.runs.length;
    await database.db.insert(runs).values({ experimentId: fixture.experimentId, kind: 'evaluate', model: 'resnet18', status: 'finished', name: 'seen without a watch' });
    expect((await execute(RUN_NAMES, { e: fixture.experimentId })).data!.experiment.runs).toHaveLength(before + 1);
  });

  it('keeps no answer that carries errors', async () => {
    const cache = new ResponseCache();
    const execute = await serverWith(deafWatch, cache);
    const badCursor = `query ($r: Int!) { predictions(runId: $r, first: 1, after: "not a cursor") { totalCount } }`;
    const refused = await execute(badCursor, { r: fixture.knownRunA });
    expect(refused.errors?.length).toBeGreaterThan(0);
    const answered = await execute(RUN_NAMES, { e: fixture.experimentId });
    expect(answered.errors).toBeUndefined();
    // The refusal was not kept, the answer was: the cache holds exactly one entry.
    expect(cache.size).toBe(1);
  });
});
