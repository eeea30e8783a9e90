/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL responses are untyped JSON; the assertions check their shape */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '@leadwise/db/testing';
import { createApiServer } from './server.ts';
import { createContext } from './context.ts';
import { bigRunScore, seedApiFixture, type ApiFixture } from './testing.ts';

type Server = Awaited<ReturnType<typeof createApiServer>>['server'];

// The queries the web app (apps/web) adds to the API, against the known-answer fixture.
describe('GraphQL queries of the web app', () => {
  let database: TestDatabase;
  let fixture: ApiFixture;
  let server: Server;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    fixture = await seedApiFixture(database.db);
    ({ server } = await createApiServer({ db: database.db, queue: null, auth: { apiKey: 'k', queriesRequireKey: false }, logError: () => undefined }));
    await server.start();
  });

  afterAll(async () => {
    await server?.stop();
    await database?.close();
  });

  async function execute(query: string, variables: Record<string, unknown> = {}) {
    const response = await server.executeOperation({ query, variables }, { contextValue: createContext(database.db, { hasValidKey: false }, null) });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    const result = response.body.singleResult as { data?: Record<string, any>; errors?: { message: string }[] };
    expect(result.errors).toBeUndefined();
    return result.data!;
  }

  it('draws the ROC and PR curves and the calibration of a run (known answers: ROC-AUC 0.75, AP 0.8333)', async () => {
    const { runCurves } = await execute(`query ($r: Int!) { runCurves(runId: $r, calibrationBins: 2) {
      n positives rocAuc averagePrecision roc { x y threshold } pr { x y } brier calibration { lower upper count meanPredicted observedRate } } }`, { r: fixture.knownRunA });
    expect(runCurves).toMatchObject({ n: 4, positives: 2 });
    expect(runCurves.rocAuc).toBeCloseTo(0.75, 10);
    expect(runCurves.averagePrecision).toBeCloseTo(0.8333333333, 8);
    // Scores 0.8, 0.4, 0.35, 0.1 descending: (0,0) at +Inf, then (0,.5), (.5,.5), (.5,1), (1,1).
    expect(runCurves.roc).toEqual([
      { x: 0, y: 0, threshold: null },
      { x: 0, y: 0.5, threshold: 0.8 },
      { x: 0.5, y: 0.5, threshold: 0.4 },
      { x: 0.5, y: 1, threshold: 0.35 },
      { x: 1, y: 1, threshold: 0.1 },
    ]);
    // Brier: ((0.1)^2 + (0.4)^2 + (0.65)^2 + (0.2)^2) / 4.
    expect(runCurves.brier).toBeCloseTo((0.01 + 0.16 + 0.4225 + 0.04) / 4, 10);
    expect(runCurves.calibration.map((b: any) => b.count)).toEqual([3, 1]);
  });

  it('thins a long curve to maxPoints, keeping both ends', async () => {
    const { runCurves } = await execute(`query ($r: Int!) { runCurves(runId: $r, maxPoints: 10) { roc { x y } } }`, { r: fixture.bigRunId });
    expect(runCurves.roc).toHaveLength(10);
    expect(runCurves.roc[0]).toEqual({ x: 0, y: 0 });
    expect(runCurves.roc[9]).toEqual({ x: 1, y: 1 });
  });

  it('lists the shared records where two runs disagree most, largest gap first', async () => {
    const { runDisagreements } = await execute(`query ($a: Int!, $b: Int!) { runDisagreements(runA: $a, runB: $b, first: 2) { recordId trueLabel scoreA scoreB difference record { externalId } } }`, {
      a: fixture.knownRunA,
      b: fixture.knownRunB,
    });
    // Gaps: JS0 0, JS1 0.2, JS2 0.45, JS3 0.1.
    expect(runDisagreements.map((d: any) => d.record.externalId)).toEqual(['JS2', 'JS1']);
    expect(runDisagreements[0]).toMatchObject({ trueLabel: 'ABNORMAL', scoreA: 0.35, scoreB: 0.8 });
    expect(runDisagreements[0].difference).toBeCloseTo(-0.45, 10);
  });

  it("puts the same records side by side across runs: the first run's records, every run's score in the order asked", async () => {
    const query = `query ($runs: [Int!]!, $first: Int!, $after: String, $misclassified: Boolean) {
      recordsAcrossRuns(runIds: $runs, first: $first, after: $after, misclassified: $misclassified) {
        runIds runs { id model } nodes { trueLabel scores record { externalId } } pageInfo { hasNextPage endCursor } } }`;
    const runs = [fixture.knownRunB, fixture.knownRunA, fixture.bigRunId];
    const first = (await execute(query, { runs, first: 3 })).recordsAcrossRuns;
    // B's and A's scores of JS0-JS3 (labels 0, 0, 1, 1); the big run predicted none of them.
    expect(first.runIds).toEqual(runs);
    expect(first.runs).toEqual([
      { id: fixture.knownRunB, model: 'model-b' },
      { id: fixture.knownRunA, model: 'model-a' },
      { id: fixture.bigRunId, model: 'resnet18' },
    ]);
    expect(first.nodes).toEqual([
      { trueLabel: 'NORMAL', scores: [0.1, 0.1, null], record: { externalId: 'JS0' } },
      { trueLabel: 'NORMAL', scores: [0.2, 0.4, null], record: { externalId: 'JS1' } },
      { trueLabel: 'ABNORMAL', scores: [0.8, 0.35, null], record: { externalId: 'JS2' } },
    ]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await execute(query, { runs, first: 3, after: first.pageInfo.endCursor })).recordsAcrossRuns;
    expect(second.nodes).toEqual([{ trueLabel: 'ABNORMAL', scores: [0.9, 0.8, null], record: { externalId: 'JS3' } }]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    // A misclassified JS2 alone (0.35 < 0.5 on an abnormal record); B none.
    const missedByA = (await execute(query, { runs: [fixture.knownRunA, fixture.knownRunB], first: 50, misclassified: true })).recordsAcrossRuns;
    expect(missedByA.nodes.map((n: any) => n.record.externalId)).toEqual(['JS2']);
    expect((await execute(query, { runs, first: 50, misclassified: true })).recordsAcrossRuns.nodes).toEqual([]);
  });

  it('refuses side by side with one run, a run twice, or a run that does not exist, naming the argument', async () => {
    const ask = async (runIds: number[]) => {
      const response = await server.executeOperation(
        { query: `query ($runs: [Int!]!) { recordsAcrossRuns(runIds: $runs) { runIds } }`, variables: { runs: runIds } },
        { contextValue: createContext(database.db, { hasValidKey: false }, null) },
      );
      return (response.body as { singleResult: { errors?: { message: string; extensions: { code: string } }[] } }).singleResult.errors?.[0];
    };
    expect(await ask([fixture.knownRunA])).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('runIds') });
    expect(await ask([fixture.knownRunA, fixture.knownRunA])).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('runIds') });
    expect(await ask([fixture.knownRunA, 999999])).toMatchObject({ extensions: { code: 'NOT_FOUND' }, message: 'run "999999" does not exist' });
  });

  it("gives every run's score for one record, with the run", async () => {
    const { recordPredictions } = await execute(`query ($id: Int!) { recordPredictions(recordId: $id) { score run { id model } } }`, { id: fixture.recordIds[1] });
    expect(recordPredictions).toEqual([{ score: bigRunScore(1), run: { id: fixture.bigRunId, model: 'resnet18' } }]);
  });

  it('filters predictions by split and dataset', async () => {
    const { predictions } = await execute(`query ($r: Int!, $d: Int!) { predictions(runId: $r, split: TEST, datasetId: $d) { totalCount nodes { split } } }`, {
      r: fixture.bigRunId,
      d: fixture.internalDatasetId,
    });
    expect(predictions.totalCount).toBe(100);
    expect(new Set(predictions.nodes.map((n: any) => n.split))).toEqual(new Set(['TEST']));
    const other = await execute(`query ($r: Int!, $d: Int!) { predictions(runId: $r, datasetId: $d) { totalCount } }`, { r: fixture.bigRunId, d: fixture.externalDatasetId });
    expect(other.predictions.totalCount).toBe(0);
  });

  it('answers recordPage with null for an unknown record, and with an error (no server path) when the signal file is missing', async () => {
    expect((await execute(`{ recordPage(recordId: 999999) { imageUrl } }`)).recordPage).toBeNull();
    const response = await server.executeOperation(
      { query: `query ($id: Int!) { recordPage(recordId: $id) { imageUrl } }`, variables: { id: fixture.recordIds[0] } },
      { contextValue: createContext(database.db, { hasValidKey: false }, null) },
    );
    const result = (response.body as { singleResult: { errors?: { message: string; extensions: { code: string } }[] } }).singleResult;
    expect(result.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    expect(result.errors?.[0]?.message).not.toContain('records100');
  });
});
