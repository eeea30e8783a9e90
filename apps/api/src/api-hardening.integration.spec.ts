/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL responses are untyped JSON; the assertions check their shape */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experiments, records, runs } from '@leadwise/db';
import { openTestDatabase, type TestDatabase } from '@leadwise/db/testing';
import { startApiServer, type RunningApi } from './server.ts';
import { seedApiFixture, type ApiFixture } from './testing.ts';

// The probes of issue 15 against the real schema over HTTP: hostile or mistaken queries are refused
// before they run, with a 4xx status and a code the client can act on.
describe('API hardening over HTTP', () => {
  let database: TestDatabase;
  let fixture: ApiFixture;
  let api: RunningApi;

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    fixture = await seedApiFixture(database.db);
    // 40 runs under one experiment: the fan-out needed no more to return 2.56 M objects.
    await database.db.insert(runs).values(
      Array.from({ length: 40 }, (_, i) => ({ experimentId: fixture.experimentId, status: 'finished' as const, kind: 'train' as const, model: 'resnet18', seed: 100 + i, backend: 'tfjs-wasm' })),
    );
    await database.db.insert(experiments).values({ name: 'second', configHash: 'second-hash', config: {} });
    api = await startApiServer({ db: database.db, queue: null, port: 0, auth: { apiKey: 'k', queriesRequireKey: false }, logError: () => undefined });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await database?.close();
  });

  async function post(body: unknown) {
    const response = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] } };
  }

  it('costs nested lists by their cap: the fan-out of the issue is refused before it runs', async () => {
    const started = Date.now();
    const { status, body } = await post({ query: '{experiments{runs{experiment{runs{experiment{runs{id}}}}}}}' });
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions!.code).toBe('QUERY_TOO_COMPLEX');
    expect(body.data).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('pages every list: experiments and their runs take a capped `first`', async () => {
    const { status, body } = await post({ query: `{ experiments(first: 1) { name runs(first: 3) { id } } }` });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.experiments).toHaveLength(1);
    const page = await post({ query: `query($e: Int!) { experiment(id: $e) { runs(first: 3) { id } } }`, variables: { e: fixture.experimentId } });
    expect(page.body.data.experiment.runs).toHaveLength(3);
    const tooMany = await post({ query: `{ runs(first: 1001) { id } }` });
    expect(tooMany.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('limits aliases: many copies of a cheap field are refused', async () => {
    const aliases = Array.from({ length: 60 }, (_, i) => `a${i}: __typename`).join(' ');
    const { status, body } = await post({ query: `{ ${aliases} }` });
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions!.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('costs a comparison by the predictions it reads: hundreds of compareRuns aliases are refused', async () => {
    const compare = Array.from({ length: 40 }, (_, i) => `c${i}: compareRuns(runA: ${fixture.knownRunA}, runB: ${fixture.knownRunB}) { n }`).join(' ');
    const { status, body } = await post({ query: `{ ${compare} }` });
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions!.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses documents with too many tokens before validating them', async () => {
    const fields = Array.from({ length: 12_000 }, () => '__typename').join(' ');
    const { status, body } = await post({ query: `{ ${fields} }` });
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('refuses fragments that expand to more nodes than can be costed, as a client error', async () => {
    // 14 levels of two spreads each: 81 tokens that expand to 16,384 fields.
    const fragments = Array.from({ length: 14 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ');
    const { status, body } = await post({ query: `query { ...F0 } ${fragments} fragment F14 on Query { __typename }` });
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions!.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('answers a NUL byte in an argument or a variable as bad input, not a server error', async () => {
    const inline = await post({ query: '{ dataset(name: "a\\u0000b") { id } }' });
    expect(inline.status).toBe(400);
    expect(inline.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const variable = await post({ query: 'query($n: String) { dataset(name: $n) { id } }', variables: { n: 'a\u0000\n<fake line>' } });
    expect(variable.status).toBe(400);
    expect(variable.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('answers a subscription as a bad request: the API has none', async () => {
    const { status, body } = await post({ query: 'subscription { datasets { name } }' });
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('stops an operation that runs past its time budget', async () => {
    const slow = await startApiServer({ db: database.db, queue: null, port: 0, limits: { maxExecutionMs: 0 }, logError: () => undefined });
    try {
      const response = await fetch(slow.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ datasets { name } }' }) });
      const body = (await response.json()) as { errors?: { extensions?: Record<string, unknown> }[] };
      expect(body.errors![0]!.extensions!.code).toBe('QUERY_TIMEOUT');
    } finally {
      await slow.stop();
    }
  });

  it('serves a run backend with the credentials of its URL redacted', async () => {
    const [run] = await database.db
      .insert(runs)
      .values({ experimentId: fixture.experimentId, status: 'finished', kind: 'llm', model: 'm', backend: 'compatible http://user:pw@llm.local:8000/v1?token=abc' })
      .returning();
    const { body } = await post({ query: `query($id: Int!) { run(id: $id) { backend } }`, variables: { id: run!.id } });
    expect(body.data.run.backend).toBe('compatible http://[redacted]@llm.local:8000/v1?token=[redacted]');
  });

  it('sends no CORS headers by default, and allows only the origins named', async () => {
    const ask = async (base: string, origin: string) => {
      const preflight = await fetch(base, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      const response = await fetch(base, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      return { preflight: preflight.headers.get('access-control-allow-origin'), post: response.headers.get('access-control-allow-origin'), status: response.status };
    };
    expect(await ask(api.url, 'https://evil.example')).toEqual({ preflight: null, post: null, status: 200 });
    const named = await startApiServer({ db: database.db, queue: null, port: 0, corsOrigins: ['https://lab.example.org'], logError: () => undefined });
    try {
      expect(await ask(named.url, 'https://lab.example.org')).toEqual({ preflight: 'https://lab.example.org', post: 'https://lab.example.org', status: 200 });
      expect(await ask(named.url, 'https://evil.example')).toEqual({ preflight: null, post: null, status: 200 });
    } finally {
      await named.stop();
    }
  });

  it('serves signal paths relative to their dataset, never server paths', async () => {
    const locations = ['/data/chapman/g1/JS9.hea', '/home/u/.leadwise/cache/archives/chapman.tar.xz-0123456789abcdef/g1/JS8.hea', '/srv/x.zip!/WFDB/JS7.hea', '/elsewhere/JS6.hea'];
    const inserted = await database.db
      .insert(records)
      .values(locations.map((signalPath, i) => ({ datasetId: fixture.externalDatasetId, externalId: `path${i}`, label: 'normal' as const, sourceCodes: [], samplingRateHz: 500, lengthSamples: 5000, signalPath })))
      .returning({ id: records.id });
    const served = [];
    for (const { id } of inserted) served.push((await post({ query: `query($id: Int!) { record(id: $id) { signalPath } }`, variables: { id } })).body.data.record.signalPath);
    expect(served).toEqual(['g1/JS9.hea', 'g1/JS8.hea', 'WFDB/JS7.hea', 'JS6.hea']);
  });

  it('keeps a cheap query fast and correct', async () => {
    const { status, body } = await post({ query: '{ __typename datasets(first: 10) { name } }' });
    expect(status).toBe(200);
    expect(body.data.datasets.map((d: { name: string }) => d.name)).toEqual(['chapman', 'ptbxl']);
  });
});
