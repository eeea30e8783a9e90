/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL responses are untyped JSON; the assertions check their shape */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs, runs } from '@leadwise/db';
import { TEST_DRIVERS, eq, openTestDatabase, type TestDatabase } from '@leadwise/db/testing';
import { JobQueue, queueName } from '@leadwise/study';
import { createApiServer } from './server.ts';
import { createContext } from './context.ts';
import { bigRunScore, seedApiFixture, type ApiFixture } from './testing.ts';
import type { Db } from './db.ts';

type Server = Awaited<ReturnType<typeof createApiServer>>['server'];

// Runs the real schema (resolvers, validation, limits, auth, error masking) against a real database
// on both drivers: PGlite in memory and PostgreSQL at TEST_DATABASE_URL.
describe.each(TEST_DRIVERS)('GraphQL API on %s', (driver) => {
  let database: TestDatabase;
  let fixture: ApiFixture;
  let server: Server;
  let queue: JobQueue;

  beforeAll(async () => {
    database = await openTestDatabase(driver);
    fixture = await seedApiFixture(database.db);
    queue = await JobQueue.start(database.db, { supervise: false });
    ({ server } = await createApiServer({
      db: database.db,
      queue,
      auth: { apiKey: 'test-key', queriesRequireKey: false },
      logError: () => undefined,
    }));
    await server.start();
  });

  afterAll(async () => {
    await server?.stop();
    await queue?.stop();
    await database?.close();
  });

  async function execute(query: string, variables: Record<string, unknown> = {}, options: { key?: boolean; db?: Db } = {}) {
    const response = await server.executeOperation(
      { query, variables },
      { contextValue: createContext(options.db ?? database.db, { hasValidKey: options.key ?? false }, queue) },
    );
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return response.body.singleResult as { data?: Record<string, any>; errors?: { message: string; extensions?: Record<string, any> }[] };
  }

  it('lists datasets with record counts per split and label', async () => {
    const result = await execute(`{ datasets { name recordCount splits { split normal abnormal excluded total } } }`);
    expect(result.errors).toBeUndefined();
    // Expected counts enumerated from the fixture's rule: split by i % 3, excluded every 10th, odd abnormal.
    const expected = (['TRAIN', 'VAL', 'TEST'] as const).map((split, s) => {
      const counts = { split, normal: 0, abnormal: 0, excluded: 0, total: 0 };
      for (let i = s; i < 300; i += 3) {
        if (i % 10 === 0) counts.excluded++;
        else if (i % 2 === 1) counts.abnormal++;
        else counts.normal++;
        counts.total++;
      }
      return counts;
    });
    const ptbxl = result.data!.datasets.find((d: { name: string }) => d.name === 'ptbxl');
    expect(ptbxl.recordCount).toBe(300);
    expect(ptbxl.splits).toEqual(expected);
    const chapman = result.data!.datasets.find((d: { name: string }) => d.name === 'chapman');
    expect(chapman.splits).toEqual([{ split: null, normal: 2, abnormal: 2, excluded: 0, total: 4 }]);
  });

  it('pages through records of one split and label without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result: any = await execute(
        `query($d: Int!, $after: String) { records(datasetId: $d, split: TEST, label: ABNORMAL, first: 7, after: $after) { nodes { externalId split label } pageInfo { hasNextPage endCursor } } }`,
        { d: fixture.internalDatasetId, after },
      );
      expect(result.errors).toBeUndefined();
      for (const node of result.data.records.nodes) {
        expect(node).toMatchObject({ split: 'TEST', label: 'ABNORMAL' });
        seen.push(node.externalId);
      }
      if (!result.data.records.pageInfo.hasNextPage) break;
      after = result.data.records.pageInfo.endCursor;
    }
    const expected = [];
    for (let i = 2; i < 300; i += 3) if (i % 10 !== 0 && i % 2 === 1) expected.push(String(i + 1).padStart(5, '0'));
    expect(seen).toEqual(expected);
  });

  it('pages through misclassified predictions sorted by score, each once, with the total count', async () => {
    // Misclassified records computed from the fixture's own score rule.
    const expectedIds = new Set<number>();
    for (let i = 0; i < fixture.bigRunSize; i++) {
      const predicted = bigRunScore(i) >= 0.5 ? 1 : 0;
      if (predicted !== i % 2) expectedIds.add(fixture.recordIds[i]!);
    }
    const seen: number[] = [];
    const scores: number[] = [];
    let after: string | null = null;
    let totalCount = -1;
    for (;;) {
      const result: any = await execute(
        `query($run: Int!, $after: String) { predictions(runId: $run, misclassified: true, orderBy: SCORE_DESC, first: 40, after: $after) {
          totalCount nodes { recordId score trueLabel predictedLabel misclassified } pageInfo { hasNextPage endCursor } } }`,
        { run: fixture.bigRunId, after },
      );
      expect(result.errors).toBeUndefined();
      totalCount = result.data.predictions.totalCount;
      for (const node of result.data.predictions.nodes) {
        expect(node.misclassified).toBe(true);
        expect(node.trueLabel).not.toBe(node.predictedLabel);
        seen.push(node.recordId);
        scores.push(node.score);
      }
      if (!result.data.predictions.pageInfo.hasNextPage) break;
      after = result.data.predictions.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(expectedIds);
    expect(totalCount).toBe(expectedIds.size);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('filters predictions by true label and score range', async () => {
    const result = await execute(
      `query($run: Int!) { predictions(runId: $run, trueLabel: ABNORMAL, minScore: 0.2, maxScore: 0.3, first: 500) { nodes { score trueLabel } } }`,
      { run: fixture.bigRunId },
    );
    expect(result.errors).toBeUndefined();
    let expected = 0;
    for (let i = 0; i < fixture.bigRunSize; i++) if (i % 2 === 1 && bigRunScore(i) >= 0.2 && bigRunScore(i) <= 0.3) expected++;
    expect(result.data!.predictions.nodes).toHaveLength(expected);
    for (const node of result.data!.predictions.nodes) {
      expect(node.trueLabel).toBe('ABNORMAL');
      expect(node.score).toBeGreaterThanOrEqual(0.2);
      expect(node.score).toBeLessThanOrEqual(0.3);
    }
  });

  it('loads the records of a page of predictions in one batched query (no N+1)', async () => {
    let selects = 0;
    const counting = new Proxy(database.db, {
      get(target, property, receiver) {
        if (property === 'select') selects++;
        return Reflect.get(target, property, receiver);
      },
    });
    const result = await execute(
      `query($run: Int!) { predictions(runId: $run, first: 100) { nodes { id record { externalId label dataset: datasetId } } } }`,
      { run: fixture.bigRunId },
      { db: counting },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.predictions.nodes).toHaveLength(100);
    // One select for the page, one for all 100 records.
    expect(selects).toBe(2);
  });

  it("compares two runs with DeLong's paired test (known answer)", async () => {
    const result = await execute(
      `query($a: Int!, $b: Int!) { compareRuns(runA: $a, runB: $b) { n positives aucA aucB difference ciLow ciHigh z pValue level } }`,
      { a: fixture.knownRunA, b: fixture.knownRunB },
    );
    expect(result.errors).toBeUndefined();
    const c = result.data!.compareRuns;
    // Worked by hand (DeLong 1988): A's placement values V10 = [0.5, 1], V01 = [1, 0.5] (var 0.125 each),
    // B's are constant, so Var(AUC_A - AUC_B) = 0.125/2 + 0.125/2 = 0.125, SE = 0.353553;
    // z = -0.25 / 0.353553 = -0.707107, p = 2 (1 - Phi(0.707107)) = 0.479500;
    // CI = -0.25 -+ 1.959964 * 0.353553 = [-0.942951, 0.442951].
    expect(c).toMatchObject({ n: 4, positives: 2, level: 0.95 });
    expect(c.aucA).toBeCloseTo(0.75, 10);
    expect(c.aucB).toBeCloseTo(1, 10);
    expect(c.difference).toBeCloseTo(-0.25, 10);
    expect(c.z).toBeCloseTo(-0.707107, 5);
    expect(c.pValue).toBeCloseTo(0.4795, 4);
    expect(c.ciLow).toBeCloseTo(-0.942951, 5);
    expect(c.ciHigh).toBeCloseTo(0.442951, 5);
  });

  it('returns the study summary table: mean ± SD over seeds with pooled CIs', async () => {
    const result = await execute(
      `query($e: Int!) { studySummary(experimentId: $e) { internalDataset rows { model role dataset n positives seeds
        rocAuc { mean sd min max ciLow ciHigh perSeed { seed value } } prAuc { mean sd } } } }`,
      { e: fixture.experimentId },
    );
    expect(result.errors).toBeUndefined();
    const summary = result.data!.studySummary;
    expect(summary.internalDataset).toBe('ptbxl');
    // Runs without summary metrics (the known-answer and big runs) are not in the table.
    expect(summary.rows.map((r: any) => `${r.model}/${r.role}/${r.dataset}`)).toEqual(['resnet18/INTERNAL/ptbxl', 'resnet18/EXTERNAL/chapman']);
    const [internal, external] = summary.rows;
    // The validation-split run of seed 1 (ROC-AUC 0.99) is left out: mean(0.80, 0.84, 0.82) = 0.82; SD = sqrt((0.02^2 + 0.02^2 + 0) / 2) = 0.02; CI bounds are value -+ 0.05.
    expect(internal.seeds).toEqual([1, 2, 3]);
    expect(internal.n).toBe(100);
    expect(internal.rocAuc.mean).toBeCloseTo(0.82, 10);
    expect(internal.rocAuc.sd).toBeCloseTo(0.02, 10);
    expect(internal.rocAuc.min).toBeCloseTo(0.8, 10);
    expect(internal.rocAuc.max).toBeCloseTo(0.84, 10);
    expect(internal.rocAuc.ciLow).toBeCloseTo(0.77, 10);
    expect(internal.rocAuc.ciHigh).toBeCloseTo(0.87, 10);
    expect(internal.prAuc.mean).toBeCloseTo(0.72, 10);
    expect(internal.prAuc.sd).toBeCloseTo(0.02, 10);
    expect(external.seeds).toEqual([1]);
    expect(external.rocAuc.mean).toBeCloseTo(0.7, 10);
    expect(external.rocAuc.sd).toBeNull();
  });

  it('aggregates lead-group attributions per label and returns them per record', async () => {
    const perRecord = await execute(
      `query($run: Int!, $rec: Int!) { leadGroupAttributions(runId: $run, recordId: $rec) { groupName attentionWeight occlusionDelta } }`,
      { run: fixture.bigRunId, rec: fixture.recordIds[1] },
    );
    expect(perRecord.errors).toBeUndefined();
    expect(perRecord.data!.leadGroupAttributions.map((a: any) => a.groupName)).toEqual(['anterior', 'aVR', 'inferior', 'lateral', 'septal'].sort());
    const summary = await execute(
      `query($run: Int!) { leadGroupAttributionSummary(runId: $run) { label groupName n meanAttention sdAttention meanOcclusionDelta } }`,
      { run: fixture.bigRunId },
    );
    expect(summary.errors).toBeUndefined();
    // Records 0..19: 0 and 10 excluded, odd ones abnormal (10), the other even ones normal (8).
    const rows = summary.data!.leadGroupAttributionSummary;
    const inferiorAbnormal = rows.find((r: any) => r.label === 'ABNORMAL' && r.groupName === 'inferior');
    expect(inferiorAbnormal.n).toBe(10);
    expect(inferiorAbnormal.meanAttention).toBeCloseTo(0.2, 10); // group index 2: 0.1 * 3 / 1.5
    expect(inferiorAbnormal.sdAttention).toBeCloseTo(0, 10);
    expect(inferiorAbnormal.meanOcclusionDelta).toBeCloseTo(-0.2, 10);
    const inferiorNormal = rows.find((r: any) => r.label === 'NORMAL' && r.groupName === 'inferior');
    expect(inferiorNormal.n).toBe(8);
    expect(inferiorNormal.meanOcclusionDelta).toBeCloseTo(0.1, 10);
  });

  it('lists LLM responses with their parsed labels and scores, filtered and paginated', async () => {
    const first = await execute(
      `query($run: Int!) { llmResponses(runId: $run, first: 2) { nodes { model parsedLabel parsedScore scoreSource parseStatus record { externalId } } pageInfo { hasNextPage endCursor } } }`,
      { run: fixture.llmRunId },
    );
    expect(first.errors).toBeUndefined();
    expect(first.data!.llmResponses.nodes).toEqual([
      { model: 'gpt-4.1', parsedLabel: 'NORMAL', parsedScore: 0.2, scoreSource: 'stated-probability', parseStatus: 'parsed', record: { externalId: 'JS0' } },
      { model: 'gpt-4.1', parsedLabel: 'NORMAL', parsedScore: 0.4, scoreSource: 'stated-probability', parseStatus: 'parsed', record: { externalId: 'JS1' } },
    ]);
    const rest = await execute(`query($run: Int!, $after: String) { llmResponses(runId: $run, first: 2, after: $after) { nodes { parsedLabel parseStatus } pageInfo { hasNextPage } } }`, {
      run: fixture.llmRunId,
      after: first.data!.llmResponses.pageInfo.endCursor,
    });
    expect(rest.data!.llmResponses).toEqual({ nodes: [{ parsedLabel: 'ABNORMAL', parseStatus: 'parsed' }, { parsedLabel: null, parseStatus: 'unparseable' }], pageInfo: { hasNextPage: false } });
    const unparsed = await execute(`{ llmResponses(parseStatus: "unparseable") { nodes { parsedScore } } }`);
    expect(unparsed.data!.llmResponses.nodes).toEqual([{ parsedScore: null }]);
  });

  it('reads runs with params, latest metrics and metric series', async () => {
    const result = await execute(`query($e: Int!) { experiment(id: $e) { name runs { id kind status backend metric(key: "eval.roc_auc") job { id } } } }`, {
      e: fixture.experimentId,
    });
    expect(result.errors).toBeUndefined();
    const run = result.data!.experiment.runs.find((r: any) => r.id === fixture.evaluateRuns['resnet18-seed2-internal']);
    expect(run).toMatchObject({ kind: 'EVALUATE', status: 'FINISHED', backend: 'tfjs-wasm', job: null });
    expect(run.metric).toBeCloseTo(0.84, 10);
  });

  it('refuses mutations without the API key', async () => {
    const result = await execute(`mutation { cancelRun(id: 1) { id } }`);
    expect(result.data ?? null).toBeNull();
    expect(result.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('creates an experiment from a config, idempotently, and rejects an invalid config naming the field', async () => {
    const config = { name: 'api-test', datasets: { internal: { kind: 'ptbxl', name: 'ptbxl', path: 'ptbxl' } }, models: ['resnet18'], seeds: [1] };
    const first = await execute(`mutation($c: JSONObject!) { createExperiment(input: { config: $c }) { id name configHash config } }`, { c: config }, { key: true });
    expect(first.errors).toBeUndefined();
    // The row a study writes for the same config (ExperimentStore.createOrGetStudy): config and plan.
    expect(first.data!.createExperiment.config.plan.seeds).toEqual([1]);
    const again = await execute(`mutation($c: JSONObject!) { createExperiment(input: { config: $c }) { id } }`, { c: config }, { key: true });
    expect(again.data!.createExperiment.id).toBe(first.data!.createExperiment.id);
    const bad = await execute(`mutation($c: JSONObject!) { createExperiment(input: { config: $c }) { id } }`, { c: { ...config, seeds: ['one'] } }, { key: true });
    expect(bad.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.message).toContain('seeds');
  });

  it('launches a training run (queued run, jobs row, pg-boss job) and cancels it before any worker starts it', async () => {
    const launched = await execute(
      `mutation($e: Int!) { launchRun(input: { experimentId: $e, kind: TRAIN, model: "resnet18", seed: 4, dataset: "ptbxl", params: { epochs: 1, maxTrainSamples: 32 } }) {
        id kind status run { id status kind model seed } } }`,
      { e: fixture.experimentId },
      { key: true },
    );
    expect(launched.errors).toBeUndefined();
    const job = launched.data!.launchRun;
    expect(job).toMatchObject({ kind: 'train', status: 'QUEUED', run: { status: 'QUEUED', kind: 'TRAIN', model: 'resnet18', seed: 4 } });
    const [row] = await database.db.select().from(jobs).where(eq(jobs.id, job.id));
    expect(row!.payload).toEqual({ epochs: 1, maxTrainSamples: 32, runId: job.run.id });
    expect((await queue.boss.getJobById(queueName('train'), row!.queueJobId!))?.state).toBe('created');

    const cancelled = await execute(`mutation($id: Int!) { cancelRun(id: $id) { status } }`, { id: job.run.id }, { key: true });
    expect(cancelled.errors).toBeUndefined();
    expect(cancelled.data!.cancelRun.status).toBe('CANCELLED');
    const [jobAfter] = await database.db.select().from(jobs).where(eq(jobs.id, job.id));
    expect(jobAfter!.status).toBe('cancelled');
    expect((await queue.boss.getJobById(queueName('train'), row!.queueJobId!))?.state).toBe('cancelled');
    const again = await execute(`mutation($id: Int!) { cancelRun(id: $id) { status } }`, { id: job.run.id }, { key: true });
    expect(again.errors![0]!.extensions!.code).toBe('CONFLICT');
  });

  it('checks job settings before queueing anything and names the bad one', async () => {
    const before = (await database.db.select().from(jobs)).length;
    const bad = await execute(
      `mutation($e: Int!) { launchRun(input: { experimentId: $e, kind: EVALUATE, parentRunId: ${fixture.knownRunA}, dataset: "chapman" }) { id } }`,
      { e: fixture.experimentId },
      { key: true },
    );
    expect(bad.errors![0]!.message).toContain('not a train run');
    const badParams = await execute(
      `mutation($e: Int!) { launchRun(input: { experimentId: $e, kind: LLM, model: "gpt-4.1", dataset: "chapman", params: { provider: "openai", repeats: 0 } }) { id } }`,
      { e: fixture.experimentId },
      { key: true },
    );
    expect(badParams.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'params.repeats' });
    const runsBefore = (await database.db.select().from(runs)).length;
    const badTrain = await execute(
      `mutation($e: Int!) { launchRun(input: { experimentId: $e, kind: TRAIN, model: "resnet18", dataset: "ptbxl", params: { epochs: 0 } }) { id } }`,
      { e: fixture.experimentId },
      { key: true },
    );
    expect(badTrain.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'params.epochs' });
    // No QUEUED run without a job is left behind.
    expect((await database.db.select().from(runs)).length).toBe(runsBefore);
    expect((await database.db.select().from(jobs)).length).toBe(before);
  });

  it('validates arguments and says which one is wrong', async () => {
    const result = await execute(`query($run: Int!) { predictions(runId: $run, first: 0, minScore: 2) { nodes { id } } }`, { run: fixture.bigRunId });
    expect(result.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const fields = result.errors![0]!.extensions!.fields.map((f: { field: string }) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['first', 'minScore']));
    const missing = await execute(`{ compareRuns(runA: 999999, runB: 1) { n } }`);
    expect(missing.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });

  it('rejects queries over the depth and complexity limits', async () => {
    const deep = await execute(`{ experiments { runs { experiment { runs { experiment { runs { experiment { runs { experiment { runs { id } } } } } } } } } } }`);
    expect(deep.errors![0]!.message).toMatch(/depth \d+ exceeds the limit of 10/);
    const page = `predictions(runId: 1, first: 500) { nodes { id score trueLabel record { id externalId label split } } }`;
    const wide = await execute(`{ a: ${page} b: ${page} c: ${page} d: ${page} e: ${page} }`);
    expect(wide.errors![0]!.extensions!.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('masks unexpected errors: a generic message with an id, no internals', async () => {
    const broken = new Proxy(database.db, {
      get(target, property, receiver) {
        if (property === 'select') throw new Error('relation "secret_table" does not exist at /srv/leadwise/db.ts');
        return Reflect.get(target, property, receiver);
      },
    });
    const result = await execute(`{ datasets { name } }`, {}, { db: broken });
    const error = result.errors![0]!;
    expect(error.extensions!.code).toBe('INTERNAL_SERVER_ERROR');
    expect(error.message).toMatch(/^Internal server error \(id [\w-]+\)/);
    expect(JSON.stringify(result)).not.toMatch(/secret_table|\/srv\/|stack/);
  });

  it('refuses queries without the key when the server is configured to', async () => {
    const { server: keyed } = await createApiServer({ db: database.db, queue, auth: { apiKey: 'k', queriesRequireKey: true }, logError: () => undefined });
    await keyed.start();
    try {
      const response = await keyed.executeOperation({ query: '{ datasets { name } }' }, { contextValue: createContext(database.db, { hasValidKey: false }, queue) });
      const body = response.body.kind === 'single' ? response.body.singleResult : null;
      expect(body!.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
      expect(response.http.status).toBe(401);
      const ok = await keyed.executeOperation({ query: '{ datasets { name } }' }, { contextValue: createContext(database.db, { hasValidKey: true }, queue) });
      expect(ok.body.kind === 'single' && ok.body.singleResult.errors).toBeFalsy();
    } finally {
      await keyed.stop();
    }
  });

  it('keeps run rows consistent after the mutation tests', async () => {
    const rows = await database.db.select().from(runs).where(eq(runs.experimentId, fixture.experimentId));
    expect(rows.every((r) => ['finished', 'cancelled'].includes(r.status))).toBe(true);
  });
});
