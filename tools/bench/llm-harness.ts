/**
 * The LLM arm end to end on real data, against a local OpenAI-compatible server with scripted
 * answers and scripted failures (no network, no keys):
 *   import PTB-XL into an in-memory PGlite -> render the first N fold-9 (test split) pages ->
 *   ask the server R times per page through the real `openai` SDK -> store every answer ->
 *   metrics per repeat and pooled -> check every stored row against the answer the script sent ->
 *   re-run and check that nothing is asked again.
 *
 *   npx tsx tools/bench/llm-harness.ts [--limit 200] [--repeats 3] [--dpi 200] [--concurrency 8] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase, llmResponses, DatasetStore, RecordStore } from '@leadwise/db';
import { resolveEcgDataDir } from '@leadwise/ecg';
import { OpenAiProvider } from '@leadwise/llm';
import { startOpenAiTestServer, type ScriptedReply } from '@leadwise/llm/testing';
import { importDataset, llmRenderOptions, renderLlmPage, runLlmArm, type LlmArmInput } from '@leadwise/study';
import { createRandom } from '@leadwise/ecg';

const { values } = parseArgs({
  options: {
    limit: { type: 'string', default: '200' },
    repeats: { type: 'string', default: '3' },
    dpi: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});
const limit = Number(values.limit);
const repeats = Number(values.repeats);
const dpi = Number(values.dpi);
const concurrency = Number(values.concurrency);

/** What the script sends for the k-th answer about an image, and what the parser must make of it. */
interface ScriptedAnswer {
  text: string | null; // null: a refusal
  expectedLabel: 0 | 1 | null;
  /** The score the stored row must carry (null: none). */
  expectedScore: number | null;
  expectedStatus: 'parsed' | 'unparseable';
}

function scriptedAnswer(truth: 0 | 1, imageIndex: number, k: number): ScriptedAnswer {
  // A weakly informative reader: P(abnormal) drawn around 0.6 for abnormal pages and 0.45 for normal ones.
  const rng = createRandom(1000 * imageIndex + k);
  const p = Math.round(Math.min(0.98, Math.max(0.02, (truth ? 0.6 : 0.45) + (rng() - 0.5) * 0.6)) * 100) / 100;
  const label = p >= 0.5 ? 'abnormal' : 'normal';
  const labelBit = (label === 'abnormal' ? 1 : 0) as 0 | 1;
  const form = (imageIndex * 7 + k * 3) % 20;
  if (form === 0) return { text: null, expectedLabel: null, expectedScore: null, expectedStatus: 'unparseable' };
  if (form === 1) return { text: 'The ECG could be normal or abnormal; the image resolution makes it hard to say.', expectedLabel: null, expectedScore: null, expectedStatus: 'unparseable' };
  if (form === 2) return { text: `Assessment:\n\`\`\`json\n{"label": "${label}", "probability": ${p}, "narrative": "Sinus rhythm {see leads}."}\n\`\`\``, expectedLabel: labelBit, expectedScore: p, expectedStatus: 'parsed' };
  if (form === 3) return { text: `This tracing is ${label === 'abnormal' ? 'NOT NORMAL' : 'not abnormal'}. Probability: ${Math.round(p * 100)}%`, expectedLabel: labelBit, expectedScore: Math.round(p * 100) / 100, expectedStatus: 'parsed' };
  if (form === 4) return { text: `{"label": "${label.toUpperCase()}", "probability": ${Math.round(p * 100)}, "narrative": "percent instead of unit"}`, expectedLabel: labelBit, expectedScore: Math.round(p * 100) / 100, expectedStatus: 'parsed' };
  if (form === 5) return { text: `Label: ${label}`, expectedLabel: labelBit, expectedScore: labelBit, expectedStatus: 'parsed' };
  return { text: `{"label": "${label}", "probability": ${p}, "narrative": "Scripted answer ${k}."}`, expectedLabel: labelBit, expectedScore: p, expectedStatus: 'parsed' };
}

/** First-attempt failures, by image: 429 with Retry-After, 500, 503, a malformed body, a hang past the timeout. */
function scriptedFailure(imageIndex: number): ScriptedReply | null {
  switch (imageIndex % 25) {
    case 3:
      return { kind: 'status', status: 429, retryAfterS: 1 };
    case 7:
      return { kind: 'status', status: 500 };
    case 11:
      return { kind: 'status', status: 503 };
    case 15:
      return { kind: 'malformed' };
    case 19:
      return { kind: 'hang' };
    default:
      return null;
  }
}

const t0 = performance.now();
const pagesDir = mkdtempSync(join(tmpdir(), 'leadwise-llm-harness-pages-'));
const handle = await openDatabase({ driver: 'pglite', pgliteDataDir: 'memory://' });
try {
  const imported = await importDataset(handle.db, { kind: 'ptbxl', path: join(resolveEcgDataDir(), 'ptbxl'), name: 'ptbxl' });
  const importS = (performance.now() - t0) / 1000;
  const dataset = (await new DatasetStore(handle.db).getByName('ptbxl'))!;
  const testRows = (await new RecordStore(handle.db).list({ datasetId: dataset.id, split: 'test' }, { limit: 1000 })).items.filter((r) => r.label !== 'excluded').slice(0, limit);
  if (testRows.some((r) => r.fold !== 9)) throw new Error('test split is not fold 9');

  // The script knows each page by its hash, as a real model knows it by its pixels.
  const tRender = performance.now();
  const pageIndex = new Map<string, { index: number; truth: 0 | 1 }>();
  for (const [index, row] of testRows.entries()) {
    const page = await renderLlmPage(row.signalPath, llmRenderOptions('grid', dpi));
    pageIndex.set(page.sha256, { index, truth: row.label === 'abnormal' ? 1 : 0 });
  }
  const renderS = (performance.now() - tRender) / 1000;

  const successes = new Map<string, number>();
  const sent = new Map<string, ScriptedAnswer[]>();
  const server = await startOpenAiTestServer({
    script: (request) => {
      const sha = request.imageSha256s.at(-1) ?? '';
      const page = pageIndex.get(sha);
      if (!page) return { kind: 'status', status: 400, message: 'unknown page' };
      const failure = request.attempt === 1 ? scriptedFailure(page.index) : null;
      if (failure) return failure;
      const k = (successes.get(sha) ?? 0) + 1;
      successes.set(sha, k);
      const answer = scriptedAnswer(page.truth, page.index, k);
      sent.set(sha, [...(sent.get(sha) ?? []), answer]);
      return answer.text === null ? { kind: 'refusal' } : { kind: 'answer', text: answer.text, inputTokens: 1100, outputTokens: 40 };
    },
  });

  const input: LlmArmInput = {
    provider: new OpenAiProvider({ kind: 'compatible', model: 'scripted-ecg-vlm', apiKey: 'sk-local-harness', baseUrl: server.baseUrl, logprobs: false }),
    datasetName: 'ptbxl',
    split: 'test',
    limit,
    repeats,
    style: 'grid',
    dpi,
    promptName: 'study-zero-shot',
    temperature: 0,
    concurrency,
    timeoutMs: 5000,
    retry: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 2000, maxRetryAfterMs: 5000 },
    pages: { outDir: pagesDir },
  };
  const tRun = performance.now();
  const result = await runLlmArm(handle.db, input);
  const runS = (performance.now() - tRun) / 1000;

  // Every stored row against what the script sent for that page. Repeats may be answered in any
  // order, and an answer that arrives after the client timed out is sent but never stored (as with
  // a real API), so each stored row must match a distinct sent answer.
  const rows = await handle.db.select().from(llmResponses);
  const key = (label: number | null, score: number | null, status: string) => `${status}|${label}|${score === null ? null : score.toFixed(6)}`;
  let mismatches = 0;
  let lateAnswers = 0;
  const byImage = new Map<string, string[]>();
  for (const row of rows) byImage.set(row.imageSha256, [...(byImage.get(row.imageSha256) ?? []), key(row.parsedLabel, row.parsedScore ?? (row.parsedLabel === null ? null : row.parsedLabel), row.parseStatus)]);
  for (const [sha, stored] of byImage) {
    const unmatched = (sent.get(sha) ?? []).map((a) => key(a.expectedLabel, a.expectedScore, a.expectedStatus));
    for (const row of stored) {
      const at = unmatched.indexOf(row);
      if (at < 0) {
        if (++mismatches <= 5) process.stderr.write(`mismatch on page ${sha.slice(0, 12)}: stored ${row}, sent ${unmatched.join(' ')}\n`);
      } else unmatched.splice(at, 1);
    }
    lateAnswers += unmatched.length;
  }
  const requestsFirst = server.requests.length;
  const again = await runLlmArm(handle.db, input);
  const requestsRerun = server.requests.length - requestsFirst;
  await server.close();

  const summary = {
    records: testRows.length,
    repeats,
    dpi,
    page: `${result.image.widthPx}x${result.image.heightPx} px`,
    datasetImported: imported.imported,
    storedRows: rows.length,
    expectedRows: testRows.length * repeats,
    uniqueKeys: new Set(rows.map((r) => `${r.imageSha256}|${r.repeatIndex}`)).size,
    parseMismatches: mismatches,
    answersSentAfterClientTimeout: lateAnswers,
    parsed: rows.filter((r) => r.parseStatus === 'parsed').length,
    unparseable: rows.filter((r) => r.parseStatus === 'unparseable').length,
    errors: rows.filter((r) => r.parseStatus === 'error').length,
    refusals: result.refusals,
    httpRequests: requestsFirst,
    retries: result.retries,
    scriptedReplies: server.replies,
    scoreSource: result.scoreSource,
    pooled: result.pooled && { rocAuc: result.pooled.rocAuc, ci: [result.pooled.rocAucCiLow, result.pooled.rocAucCiHigh], prAuc: result.pooled.prAuc, n: result.pooled.scored },
    perRepeatRocAuc: result.perRepeat.map((r) => r.metrics?.rocAuc ?? null),
    fleissKappa: result.agreement.fleissKappa,
    rerun: { requests: requestsRerun, cached: again.cached, requested: again.requested },
    seconds: {
      import: importS,
      renderForScript: renderS,
      llmRun: runS,
      llmRunRender: result.phaseMs.render / 1000,
      llmRunAsk: result.phaseMs.ask / 1000,
      llmRunMetrics: result.phaseMs.metrics / 1000,
      rerun: again.wallMs / 1000,
      rerunRender: again.phaseMs.render / 1000,
      rerunAsk: again.phaseMs.ask / 1000,
      total: (performance.now() - t0) / 1000,
    },
    answersPerSAsking: (testRows.length * repeats) / (result.phaseMs.ask / 1000),
  };
  const ok = summary.storedRows === summary.expectedRows && summary.uniqueKeys === summary.expectedRows && mismatches === 0 && summary.errors === 0 && requestsRerun === 0 && result.pooled !== null;
  process.stdout.write(values.json ? `${JSON.stringify({ ok, ...summary }, null, 2)}\n` : `${ok ? 'OK' : 'FAILED'} ${JSON.stringify(summary, null, 2)}\n`);
  if (!ok) process.exitCode = 1;
} finally {
  await handle.close();
  rmSync(pagesDir, { recursive: true, force: true });
}
