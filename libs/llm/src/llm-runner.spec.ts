import { afterEach, describe, expect, it } from 'vitest';
import { LlmConfigError } from './errors.ts';
import type { LlmImage } from './llm-request.ts';
import { runLlmJobs, type LlmJob, type LlmRunOptions } from './llm-runner.ts';
import { OpenAiProvider } from './openai-provider.ts';
import { getPrompt } from './prompts.ts';
import { MemoryResponseCache } from './response-record.ts';
import { repeatAgreement, summarizeScoreSources } from './run-summary.ts';
import { makeTestImage, startOpenAiTestServer, type ReplyScript, type ScriptedReply, type TestServer } from './testing.ts';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const images: LlmImage[] = Array.from({ length: 10 }, (_, i) => makeTestImage(i));
const indexOfImage = new Map(images.map((image, i) => [image.sha256, i]));
const jobsFor = (repeats: number): LlmJob[] =>
  images.flatMap((image, i) => Array.from({ length: repeats }, (_, r) => ({ recordKey: `rec-${i}`, split: 'test', imageSha256: image.sha256, repeat: r, loadImage: async () => image })));
const fastRetry = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5000 };
const json = (label: string, probability: number) => `{"label": "${label}", "probability": ${probability}, "narrative": "n"}`;

async function setup(model: string, script: ReplyScript, cache = new MemoryResponseCache()) {
  const server = await startOpenAiTestServer({ script });
  servers.push(server);
  const provider = new OpenAiProvider({ kind: 'compatible', model, apiKey: 'sk-local-test', baseUrl: server.baseUrl, logprobs: false });
  const options = (extra: Partial<LlmRunOptions> = {}): LlmRunOptions => ({
    provider,
    prompt: getPrompt('study-zero-shot'),
    jobs: jobsFor(2),
    cache,
    temperature: 0,
    concurrency: 3,
    // Generous, so that a loaded CI machine never times out a real answer; the hang has its own test.
    timeoutMs: 60_000,
    retry: fastRetry,
    ...extra,
  });
  return { server, provider, cache, options };
}

describe('runLlmJobs', () => {
  it('answers every image x repeat through scripted failures, parses each answer, and stores one row per key', async () => {
    // Image i's first request gets failure i (if any); every later request gets the image's scripted answer.
    const firstFailure: Record<number, ScriptedReply> = {
      1: { kind: 'status', status: 429, retryAfterS: 1 },
      2: { kind: 'status', status: 500 },
      3: { kind: 'malformed' },
      5: { kind: 'status', status: 503 },
    };
    const answers: Record<number, ScriptedReply> = {
      0: { kind: 'answer', text: json('abnormal', 0.9) },
      1: { kind: 'answer', text: `Looking at the tracing:\n\`\`\`json\n${json('normal', 0.2)}\n\`\`\`` },
      2: { kind: 'answer', text: 'The rhythm is not normal. Probability: 70%' },
      3: { kind: 'refusal' },
      4: { kind: 'answer', text: 'It may be normal or abnormal.' },
      5: { kind: 'answer', text: json('ABNORMAL', 0.6) },
      6: { kind: 'answer', text: 'Label: abnormal' },
      7: { kind: 'answer', text: json('not abnormal', 0.1) },
      8: { kind: 'answer', text: json('normal', 0.3) },
      9: { kind: 'answer', text: json('abnormal', 0.95) },
    };
    const { server, cache, options } = await setup('scripted-vlm', (request) => {
      const i = indexOfImage.get(request.imageSha256s[0])!;
      return request.attempt === 1 && firstFailure[i] ? firstFailure[i] : answers[i];
    });
    const retries: { recordKey: string; delayMs: number; kind: string }[] = [];
    const summary = await runLlmJobs(options({ onRetry: (e) => retries.push({ recordKey: e.recordKey, delayMs: e.delayMs, kind: e.error.kind }) }));

    expect(summary).toMatchObject({ total: 20, done: 20, cached: 0, failed: 0, requested: 20, retries: 4 });
    expect(cache.rows.size).toBe(20);
    expect(server.requests.length).toBe(24);
    // The 429's Retry-After of 1 s was honoured, not replaced by the 5-20 ms backoff.
    expect(retries.find((r) => r.kind === 'rate-limit')!.delayMs).toBeGreaterThanOrEqual(1000);
    expect(retries.map((r) => r.kind).sort()).toEqual(['malformed-response', 'rate-limit', 'server', 'server']);

    const byImage = (i: number) => summary.records.filter((r) => r.recordKey === `rec-${i}`);
    const view = (i: number) => byImage(i).map((r) => [r.parseStatus, r.label, r.score, r.scoreSource]);
    expect(view(0)).toEqual([['parsed', 'abnormal', 0.9, 'stated-probability'], ['parsed', 'abnormal', 0.9, 'stated-probability']]);
    expect(view(1)[0]).toEqual(['parsed', 'normal', 0.2, 'stated-probability']);
    expect(view(2)[0]).toEqual(['parsed', 'abnormal', 0.7, 'stated-probability']);
    expect(view(3)[0]).toEqual(['unparsed', null, null, 'none']);
    expect(byImage(3)[0].refusal).toBe(true);
    expect(view(4)[0]).toEqual(['unparsed', null, null, 'none']);
    expect(byImage(4)[0].rawText).toBe('It may be normal or abnormal.');
    expect(view(5)[0]).toEqual(['parsed', 'abnormal', 0.6, 'stated-probability']);
    expect(view(6)[0]).toEqual(['parsed', 'abnormal', 1, 'hard-label']);
    expect(view(7)[0]).toEqual(['parsed', 'normal', 0.1, 'stated-probability']);
    expect(byImage(1)[0].attempts + byImage(1)[1].attempts).toBe(3);
    expect(summary.records.every((r) => r.temperature === 0 && r.inputTokens === 900 && r.latencyMs !== null)).toBe(true);
    expect(summarizeScoreSources(summary.records)).toMatchObject({ scoreSource: 'mixed', hardLabelOnly: false, counts: { 'hard-label': 2, none: 4 } });
    expect(repeatAgreement(summary.records).fleiss).toMatchObject({ n: 8, observedAgreement: 1 });
  });

  it('aborts a request that hangs past the timeout and retries it', async () => {
    const { options } = await setup('scripted-vlm', (request) => (request.attempt === 1 ? { kind: 'hang' } : { kind: 'answer', text: json('abnormal', 0.9) }));
    const kinds: string[] = [];
    const summary = await runLlmJobs(options({ jobs: jobsFor(1).slice(0, 1), timeoutMs: 500, retry: { ...fastRetry, maxAttempts: 8 }, onRetry: (e) => kinds.push(e.error.kind) }));
    expect(kinds[0]).toBe('timeout');
    expect(summary.records[0]).toMatchObject({ status: 'ok', label: 'abnormal', score: 0.9 });
    expect(summary.records[0].attempts).toBeGreaterThanOrEqual(2);
  });

  it('makes a re-run free: every answer comes from the cache', async () => {
    const { server, options } = await setup('scripted-vlm', () => ({ kind: 'answer', text: json('normal', 0.4) }));
    await runLlmJobs(options());
    const again = await runLlmJobs(options());
    expect(server.requests.length).toBe(20);
    expect(again).toMatchObject({ total: 20, cached: 20, requested: 0, done: 20 });
    expect(again.records.length).toBe(20);
  });

  it('stores a final failure as an error row, and retries it (only it) on the next run', async () => {
    let healthy = false;
    const { server, cache, options } = await setup('scripted-vlm', (request) =>
      !healthy && indexOfImage.get(request.imageSha256s[0]) === 4 ? { kind: 'status', status: 500 } : { kind: 'answer', text: json('abnormal', 0.7) },
    );
    const first = await runLlmJobs(options({ jobs: jobsFor(1) }));
    expect(first).toMatchObject({ failed: 1, done: 10 });
    const errorRow = [...cache.rows.values()].find((r) => r.status === 'error')!;
    expect(errorRow).toMatchObject({ recordKey: 'rec-4', attempts: 4, errorKind: 'server', rawText: null });
    expect(errorRow.error).toMatch(/HTTP 500/);
    healthy = true;
    const before = server.requests.length;
    const second = await runLlmJobs(options({ jobs: jobsFor(1) }));
    expect(server.requests.length - before).toBe(1);
    expect(second).toMatchObject({ failed: 0, cached: 9, requested: 1 });
    expect(cache.rows.size).toBe(10);
    expect([...cache.rows.values()].every((r) => r.status === 'ok')).toBe(true);
  });

  it('does not retry a 401: one attempt, stored as an error row with the reason', async () => {
    const { options } = await setup('scripted-vlm', () => ({ kind: 'status', status: 401, message: 'bad key' }));
    const summary = await runLlmJobs(options({ jobs: jobsFor(1).slice(0, 1) }));
    expect(summary.records[0]).toMatchObject({ status: 'error', attempts: 1, errorKind: 'client' });
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    // Each request is held until four are in flight (or 2 s pass, for the tail), so overlap does not depend on machine speed.
    const { options } = await setup('scripted-vlm', async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const heldSinceMs = Date.now();
      while (inFlight < 4 && Date.now() - heldSinceMs < 2000) await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return { kind: 'answer', text: json('normal', 0.1) };
    });
    await runLlmJobs(options({ concurrency: 4 }));
    expect(maxInFlight).toBe(4);
  });

  it('refuses to mix cached answers made at another temperature', async () => {
    const { options } = await setup('scripted-vlm', () => ({ kind: 'answer', text: json('normal', 0.1) }));
    await runLlmJobs(options({ jobs: jobsFor(1) }));
    await expect(runLlmJobs(options({ jobs: jobsFor(1), temperature: 0.7 }))).rejects.toThrow(LlmConfigError);
  });

  it('uses P(label token) when logprobs come back, and the stated probability when preferred', async () => {
    const server = await startOpenAiTestServer({ script: () => ({ kind: 'answer', text: json('abnormal', 0.9), pAbnormal: 0.6 }) });
    servers.push(server);
    const provider = new OpenAiProvider({ kind: 'openai', model: 'gpt-4.1', apiKey: 'sk-local-test', baseUrl: server.baseUrl });
    const base = { provider, prompt: getPrompt('study-zero-shot'), jobs: jobsFor(1).slice(0, 2), temperature: 0, concurrency: 2, timeoutMs: 1000, retry: fastRetry };
    const byLogprob = await runLlmJobs({ ...base, cache: new MemoryResponseCache() });
    expect(byLogprob.records[0]).toMatchObject({ scoreSource: 'label-logprob', statedScore: 0.9, logprobsRequested: true });
    expect(byLogprob.records[0].score).toBeCloseTo(0.6, 9);
    // gpt-4.1 list price: 2 USD per 1M input, 8 USD per 1M output; 900 input tokens, 15 output tokens.
    expect(byLogprob.records[0].costUsd).toBeCloseTo((900 * 2 + 15 * 8) / 1e6, 12);
    const byStated = await runLlmJobs({ ...base, cache: new MemoryResponseCache(), scorePreference: 'stated-first' });
    expect(byStated.records[0]).toMatchObject({ scoreSource: 'stated-probability', score: 0.9 });
  });

  it('flags a run whose every score is a bare label', () => {
    expect(summarizeScoreSources([{ scoreSource: 'hard-label' }, { scoreSource: 'none' }])).toMatchObject({ scoreSource: 'hard-label', hardLabelOnly: true });
    expect(summarizeScoreSources([{ scoreSource: 'hard-label' }, { scoreSource: 'label-logprob' }]).hardLabelOnly).toBe(false);
  });
});
