import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consistentTwelveLeadAdu, encodeFormat16Record } from '@leadwise/ecg/testing';
import { startOpenAiTestServer, type TestServer } from '@leadwise/llm/testing';
import { runCli } from '../testing.ts';

// The command end to end: embedded PGlite under a temporary LEADWISE_HOME, four synthetic WFDB
// records (four in the test split, two without a split), and a local server speaking OpenAI's wire format in place of a real model.

let home: string;
let server: TestServer;
const saved = { home: process.env.LEADWISE_HOME, url: process.env.DATABASE_URL, compat: process.env.LEADWISE_COMPAT_BASE_URL };

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'leadwise-cli-llm-'));
  process.env.LEADWISE_HOME = home;
  delete process.env.DATABASE_URL;
  // Imported lazily, as the CLI's commands do (a static import of a lazily loaded library fails lint).
  const { DatasetStore, RecordStore, openDatabase } = await import('@leadwise/db');
  const handle = await openDatabase();
  try {
    const dataset = await new DatasetStore(handle.db).upsert({ name: 'cli-llm', kind: 'manifest', sourcePath: home, labelRule: 'fixture' });
    const rows = Array.from({ length: 6 }, (_, i) => {
      const leads = consistentTwelveLeadAdu(1000);
      for (let t = 0; t < 1000; t++) leads[7][t] += 300 * i;
      const { header, dat, datName } = encodeFormat16Record({ recordName: `C${i}`, leadsAdu: leads });
      writeFileSync(join(home, `C${i}.hea`), header);
      writeFileSync(join(home, datName), dat);
      return { datasetId: dataset.id, externalId: `C${i}`, split: i < 4 ? ('test' as const) : null, label: i % 2 ? ('normal' as const) : ('abnormal' as const), sourceCodes: {}, samplingRateHz: 100, lengthSamples: 1000, signalPath: join(home, `C${i}.hea`) };
    });
    await new RecordStore(handle.db).upsertMany(rows);
  } finally {
    await handle.close();
  }
  let n = 0;
  server = await startOpenAiTestServer({ script: () => ({ kind: 'answer', text: `{"label": "${n % 2 ? 'normal' : 'abnormal'}", "probability": ${n++ % 2 ? 0.2 : 0.7}, "narrative": "x"}` }) });
});

afterAll(async () => {
  await server.close();
  for (const [key, value] of [['LEADWISE_HOME', saved.home], ['DATABASE_URL', saved.url], ['LEADWISE_COMPAT_BASE_URL', saved.compat]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  rmSync(home, { recursive: true, force: true });
});

const run = (args: string[]) => runCli(['llm', ...args]);

describe('leadwise llm', () => {
  it('names the missing environment variable instead of running', async () => {
    delete process.env.LEADWISE_COMPAT_BASE_URL;
    const result = await run(['--provider', 'compatible', '--model', 'm', '--dataset', 'cli-llm']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('LEADWISE_COMPAT_BASE_URL is not set');
  });

  it('runs a compatible model over a split and prints the run as JSON; a second run is served from the cache', async () => {
    process.env.LEADWISE_COMPAT_BASE_URL = server.baseUrl;
    const args = ['--provider', 'compatible', '--model', 'scripted', '--dataset', 'cli-llm', '--split', 'test', '--repeats', '2', '--style', 'none', '--dpi', '40', '--no-logprobs', '--json'];
    const first = await run(args);
    expect(first.exitCode).toBe(0);
    const printed = JSON.parse(first.stdout);
    expect(printed).toMatchObject({ provider: 'compatible', model: 'scripted', records: 4, responses: 8, requested: 8, failed: 0, scoreSource: 'stated-probability', image: { style: 'none', dpi: 40 } });
    expect(printed.prompt.name).toBe('study-zero-shot');
    const second = JSON.parse((await run(args)).stdout);
    expect(second).toMatchObject({ responses: 8, cached: 8, requested: 0 });
    expect(server.requests.length).toBe(8);
  });

  it('asks about every labelled record of an external set with --split all', async () => {
    process.env.LEADWISE_COMPAT_BASE_URL = server.baseUrl;
    const result = await run(['--provider', 'compatible', '--model', 'scripted', '--dataset', 'cli-llm', '--split', 'all', '--style', 'none', '--dpi', '40', '--no-logprobs', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ records: 6, responses: 6, failed: 0 });
    const fewShot = await run(['--provider', 'compatible', '--model', 'scripted', '--dataset', 'cli-llm', '--split', 'all', '--prompt', 'few-shot']);
    expect(fewShot.exitCode).toBe(1);
    expect(fewShot.stderr).toContain('cannot evaluate --split all');
  });

  it('ends the run FAILED and exits non-zero when every request fails', async () => {
    const refusing = await startOpenAiTestServer({ script: () => ({ kind: 'status', status: 401, message: 'invalid key' }) });
    try {
      process.env.LEADWISE_COMPAT_BASE_URL = refusing.baseUrl;
      const result = await run(['--provider', 'compatible', '--model', 'refused', '--dataset', 'cli-llm', '--split', 'test', '--style', 'none', '--dpi', '40', '--no-logprobs']);
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toMatch(/^leadwise: all 4 requests to refused failed; the first: .*invalid key$/m);
      const { openDatabase, runs } = await import('@leadwise/db');
      const { eq } = await import('@leadwise/db/testing');
      const handle = await openDatabase();
      try {
        const refused = await handle.db.select({ status: runs.status }).from(runs).where(eq(runs.model, 'refused'));
        expect(refused.map((r) => r.status)).toEqual(['failed']);
      } finally {
        await handle.close();
      }
    } finally {
      await refusing.close();
    }
  });
});
