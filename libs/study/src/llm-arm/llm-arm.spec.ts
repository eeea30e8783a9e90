import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetStore, RecordStore, RunStore, llmResponses, predictions, renderedImages, type LeadwiseDatabase } from '@leadwise/db';
import { openTestDatabase, sql, type TestDatabase } from '@leadwise/db/testing';
import { consistentTwelveLeadAdu, encodeFormat16Record } from '@leadwise/ecg/testing';
import { OpenAiProvider, getPrompt } from '@leadwise/llm';
import { startOpenAiTestServer, type ReplyScript, type TestServer } from '@leadwise/llm/testing';
import { llmRenderOptions, renderLlmPage } from './llm-pages.ts';
import { LLM_METRIC_KEYS, runLlmArm, type LlmArmInput } from './run-llm-arm.ts';

// Synthetic 12-lead records on disk (real WFDB files, read by the real reader and rendered by the
// real renderer), served to the real openai SDK by a local server that speaks its wire format.

const RECORDS = 6;
let dataDir: string;

function writeRecords(dir: string): { path: string; label: 'normal' | 'abnormal'; externalId: string }[] {
  return Array.from({ length: RECORDS + 2 }, (_, i) => {
    const leads = consistentTwelveLeadAdu(1000);
    for (let t = 0; t < 1000; t++) leads[7][t] += 300 * i; // V2 shifted 3 mm per record, so every page differs
    const recordName = `S${String(i).padStart(3, '0')}`;
    const { header, dat, datName } = encodeFormat16Record({ recordName, leadsAdu: leads });
    writeFileSync(join(dir, `${recordName}.hea`), header);
    writeFileSync(join(dir, datName), dat);
    return { path: join(dir, `${recordName}.hea`), label: i % 2 === 0 ? 'abnormal' : 'normal', externalId: recordName };
  });
}

async function insertDataset(db: LeadwiseDatabase, name: string): Promise<void> {
  const dataset = await new DatasetStore(db).upsert({ name, kind: 'manifest', sourcePath: dataDir, labelRule: 'fixture' });
  await new RecordStore(db).upsertMany(
    writeRecords(dataDir).map((r, i) => ({
      datasetId: dataset.id,
      externalId: r.externalId,
      patientId: `P${i}`,
      split: i < RECORDS ? ('test' as const) : ('train' as const),
      label: r.label,
      sourceCodes: {},
      samplingRateHz: 100,
      lengthSamples: 1000,
      signalPath: r.path,
    })),
  );
}

/** Image hash -> true label, computed by rendering the fixture pages the same way the arm does. */
async function truthByImage(): Promise<Map<string, 'normal' | 'abnormal'>> {
  const truth = new Map<string, 'normal' | 'abnormal'>();
  for (const [i, r] of writeRecords(dataDir).entries()) {
    if (i >= RECORDS) continue;
    truth.set((await renderLlmPage(r.path, llmRenderOptions('grid', 40))).sha256, r.label);
  }
  return truth;
}

const answer = (label: string, p: number) => `{"label": "${label}", "probability": ${p}, "narrative": "scripted"}`;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'leadwise-llm-arm-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe.each(['pglite', 'postgres'] as const)('runLlmArm on %s', (driver) => {
  let handle: TestDatabase;
  let server: TestServer;
  let truth: Map<string, 'normal' | 'abnormal'>;
  beforeAll(async () => {
    handle = await openTestDatabase(driver);
    await insertDataset(handle.db, 'fixture-llm');
    truth = await truthByImage();
    // A perfect scripted reader, with a 500 on one image's first request and an unparseable repeat.
    const script: ReplyScript = (request) => {
      const label = truth.get(request.imageSha256s.at(-1) ?? '');
      if (!label) return { kind: 'status', status: 400, message: 'unknown image' };
      if (request.index === 0) return { kind: 'status', status: 500 };
      if (request.index === 3) return { kind: 'answer', text: 'I am not sure.' };
      return { kind: 'answer', text: answer(label, label === 'abnormal' ? 0.8 : 0.3) };
    };
    server = await startOpenAiTestServer({ script });
  });
  afterAll(async () => {
    await server.close();
    await handle.close();
  });

  const input = (): LlmArmInput => ({
    provider: new OpenAiProvider({ kind: 'compatible', model: 'scripted-vlm', apiKey: 'sk-local', baseUrl: server.baseUrl, logprobs: false }),
    datasetName: 'fixture-llm',
    split: 'test',
    repeats: 2,
    style: 'grid',
    dpi: 40,
    promptName: 'study-zero-shot',
    temperature: 0,
    concurrency: 2,
    timeoutMs: 30_000,
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 1000 },
    bootstrap: { resamples: 200, seed: 7 },
    pages: { outDir: join(dataDir, `pages-${driver}`), workers: 2 },
  });

  it('stores every answer, records an llm run with params and metrics, and re-runs for free', async () => {
    const result = await runLlmArm(handle.db, input());
    expect(result).toMatchObject({ records: RECORDS, responses: RECORDS * 2, requested: RECORDS * 2, cached: 0, failed: 0, unparsed: 1, retries: 1, scoreSource: 'stated-probability', hardLabelOnly: false });
    // Every scored answer ranks abnormal above normal, so ROC-AUC and AP are exactly 1 (by construction of the script).
    expect(result.pooled).toMatchObject({ rocAuc: 1, prAuc: 1, n: RECORDS, scored: RECORDS, positives: RECORDS / 2 });
    expect(result.perRepeat.map((r) => r.metrics?.rocAuc)).toEqual([1, 1]);
    expect(result.agreement.fleissKappa).toBe(1);

    const rows = await handle.db.select().from(llmResponses);
    expect(rows.length).toBe(RECORDS * 2);
    expect(rows.filter((r) => r.parseStatus === 'unparseable').map((r) => r.rawText)).toEqual(['I am not sure.']);
    expect(new Set(rows.map((r) => r.promptHash))).toEqual(new Set([getPrompt('study-zero-shot').sha256]));
    expect(rows.every((r) => r.imageStyle === 'grid' && r.model === 'compatible:scripted-vlm' && r.temperature === 0)).toBe(true);

    const runs = new RunStore(handle.db);
    const run = (await runs.getById(result.runId))!;
    expect([run.kind, run.status, run.model]).toEqual(['llm', 'finished', 'scripted-vlm']);
    const params = await runs.getParams(result.runId);
    expect(params).toMatchObject({ provider: 'compatible', model: 'scripted-vlm', 'prompt.name': 'study-zero-shot', 'prompt.sha256': getPrompt('study-zero-shot').sha256, style: 'grid', dpi: '40', repeats: '2', score_source: 'stated-probability', hard_label_only: 'false', temperature: '0' });
    const latest = new Map((await runs.getLatestMetrics(result.runId)).map((m) => [m.key, m.value]));
    expect(latest.get('eval.roc_auc')).toBe(1);
    expect(latest.get(LLM_METRIC_KEYS.unparsed)).toBe(1);
    expect(latest.get(LLM_METRIC_KEYS.retries)).toBe(1);
    expect((await runs.getMetricSeries(result.runId, LLM_METRIC_KEYS.repeatRocAuc)).map((m) => m.step)).toEqual([0, 1]);
    const [{ count }] = await handle.db.select({ count: sql<number>`count(*)::int` }).from(predictions).where(sql`${predictions.runId} = ${result.runId}`);
    expect(count).toBe(RECORDS);

    // The pages were rendered once, on worker threads, and recorded in the render store for reuse.
    const pages = await handle.db.select().from(renderedImages);
    expect(pages.length).toBe(RECORDS);
    expect(new Set(pages.map((p) => p.sha256))).toEqual(new Set(truth.keys()));

    const requestsBefore = server.requests.length;
    const again = await runLlmArm(handle.db, input());
    expect(server.requests.length).toBe(requestsBefore);
    expect(again).toMatchObject({ requested: 0, cached: RECORDS * 2, responses: RECORDS * 2, unparsed: 1 });
    expect(again.pooled?.rocAuc).toBe(1);
    expect((await handle.db.select().from(llmResponses)).length).toBe(RECORDS * 2);
    expect((await handle.db.select().from(renderedImages)).length).toBe(RECORDS);
  });

  it('runs few-shot with labelled examples from the train split ahead of each page, hashed into the prompt hash', async () => {
    const before = server.requests.length;
    const result = await runLlmArm(handle.db, { ...input(), repeats: 1, promptName: 'few-shot', fewShot: { k: 2, split: 'train' } });
    const sent = server.requests.slice(before);
    expect(sent.length).toBeGreaterThanOrEqual(RECORDS);
    expect(result).toMatchObject({ failed: 0, responses: RECORDS });
    // Two example pages, then the page to classify; the examples are the two train records, never a test page.
    expect(sent.every((r) => r.imageSha256s.length === 3 && !truth.has(r.imageSha256s[0]) && !truth.has(r.imageSha256s[1]) && truth.has(r.imageSha256s[2]))).toBe(true);
    expect(sent[0].promptText).toContain('Example 1: this ECG is abnormal.');
    expect(result.prompt.effectiveHash).not.toBe(getPrompt('few-shot').sha256);
    const params = await new RunStore(handle.db).getParams(result.runId);
    expect(params).toMatchObject({ 'prompt.name': 'few-shot', 'prompt.few_shot_k': '2', 'prompt.effective_hash': result.prompt.effectiveHash });
  });

  it('refuses an unknown dataset and a few-shot run drawing examples from the evaluated split', async () => {
    await expect(runLlmArm(handle.db, { ...input(), datasetName: 'nope' })).rejects.toThrow(/not imported/);
    await expect(runLlmArm(handle.db, { ...input(), promptName: 'few-shot', fewShot: { k: 2, split: 'test' as 'train' } })).rejects.toThrow(/other than the evaluated/);
  });
});

describe('kill mid-run, then resume (postgres)', () => {
  it('ends with exactly one row per image x repeat: nothing duplicated, nothing lost', async () => {
    const handle = await openTestDatabase('postgres');
    const repeats = 3;
    try {
      await insertDataset(handle.db, 'fixture-kill');
      const truth = await truthByImage();
      // The first 5 requests are answered; later ones are held until the child is dead, so the kill
      // always lands mid-run whatever the machine's speed.
      let release: (() => void) | undefined;
      const childDead = new Promise<void>((resolve) => (release = resolve));
      let answered = 0;
      const server = await startOpenAiTestServer({
        script: async (request) => {
          if (answered >= 5) await childDead;
          answered++;
          const label = truth.get(request.imageSha256s[0]) ?? 'normal';
          return { kind: 'answer', text: answer(label, label === 'abnormal' ? 0.9 : 0.1) };
        },
      });
      try {
        const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./testing/llm-arm-child.ts', import.meta.url))], {
          env: { ...process.env, LEADWISE_HOME: join(dataDir, 'home-kill'), DATABASE_URL: handle.location, LEADWISE_COMPAT_BASE_URL: server.baseUrl, LLM_ARM_DATASET: 'fixture-kill', LLM_ARM_REPEATS: String(repeats) },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        const rowCount = async () => (await handle.db.select({ n: sql<number>`count(*)::int` }).from(llmResponses))[0].n;
        while ((await rowCount()) < 5) {
          if (child.exitCode !== null) throw new Error(`child exited early (${child.exitCode}): ${stderr}`);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        child.kill('SIGKILL');
        await exited;
        release?.();
        expect(await rowCount()).toBe(5);

        const before = server.requests.length;
        const resumed = await runLlmArm(handle.db, {
          provider: new OpenAiProvider({ kind: 'compatible', model: 'scripted-vlm', apiKey: 'sk-local', baseUrl: server.baseUrl, logprobs: false }),
          datasetName: 'fixture-kill',
          split: 'test',
          repeats,
          style: 'grid',
          dpi: 40,
          promptName: 'study-zero-shot',
          temperature: 0,
          concurrency: 2,
          timeoutMs: 30_000,
          bootstrap: { resamples: 200, seed: 1 },
          pages: { outDir: join(dataDir, 'pages-kill-resume') },
        });
        expect(resumed).toMatchObject({ cached: 5, requested: RECORDS * repeats - 5, responses: RECORDS * repeats, failed: 0 });
        // Only the missing answers were asked for again.
        expect(server.requests.length - before).toBe(RECORDS * repeats - 5);
        const rows = await handle.db.select().from(llmResponses);
        expect(rows.length).toBe(RECORDS * repeats);
        expect(new Set(rows.map((r) => `${r.imageSha256}|${r.repeatIndex}`)).size).toBe(RECORDS * repeats);
        expect(rows.every((r) => r.parseStatus === 'parsed')).toBe(true);
        expect(resumed.pooled?.rocAuc).toBe(1);
      } finally {
        release?.();
        await server.close();
      }
    } finally {
      await handle.close();
    }
  });
});
