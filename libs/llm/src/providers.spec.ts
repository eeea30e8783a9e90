import { afterEach, describe, expect, it } from 'vitest';
import { LlmRequestError } from './errors.ts';
import { GeminiProvider } from './gemini-provider.ts';
import { OpenAiProvider } from './openai-provider.ts';
import { getPrompt } from './prompts.ts';
import { providerFromEnv } from './provider-config.ts';
import type { LlmProvider } from './provider.ts';
import { makeTestImage, startGeminiTestServer, startOpenAiTestServer, type ReplyScript, type TestServer } from './testing.ts';

// The real SDKs (`openai`, `@google/genai`) talk HTTP to local servers that speak each
// provider's wire format; nothing in the SDKs is replaced.

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const KEY = 'sk-test-0123456789abcdef';
const GEMINI_KEY = 'AIzaSyTest0123456789abcdef';
const image = makeTestImage(7);
const request = { prompt: getPrompt('study-zero-shot'), image, target: { recordKey: 'ptbxl/00007', split: 'test' }, temperature: 0 };
const ANSWER = '{"label": "abnormal", "probability": 0.8, "narrative": "Inferior ST elevation."}';

async function openai(model: string, script: ReplyScript, kind: 'openai' | 'compatible' = 'openai'): Promise<{ server: TestServer; provider: OpenAiProvider }> {
  const server = await startOpenAiTestServer({ script, apiKey: KEY });
  servers.push(server);
  return { server, provider: new OpenAiProvider({ kind, model, apiKey: KEY, baseUrl: server.baseUrl }) };
}

async function gemini(model: string, script: ReplyScript, logprobs?: boolean): Promise<{ server: TestServer; provider: GeminiProvider }> {
  const server = await startGeminiTestServer({ script, apiKey: GEMINI_KEY });
  servers.push(server);
  return { server, provider: new GeminiProvider({ model, apiKey: GEMINI_KEY, baseUrl: server.baseUrl, logprobs }) };
}

async function failure(provider: LlmProvider, signal = new AbortController().signal): Promise<LlmRequestError> {
  const error = await provider.complete(request, { signal }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LlmRequestError);
  return error as LlmRequestError;
}

describe('OpenAI provider through the openai SDK', () => {
  it('sends the prompt and the page as a base64 data URL, asks gpt-4.1 for logprobs, and reads the label step', async () => {
    const { server, provider } = await openai('gpt-4.1', () => ({ kind: 'answer', text: ANSWER, pAbnormal: 0.7, inputTokens: 1000, outputTokens: 30 }));
    const completion = await provider.complete(request, { signal: new AbortController().signal });
    const seen = server.requests[0];
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.credential).toBe(KEY);
    expect(seen.imageSha256s).toEqual([image.sha256]);
    expect(seen.promptText).toBe(getPrompt('study-zero-shot').text);
    expect(seen.body).toMatchObject({ model: 'gpt-4.1', temperature: 0, logprobs: true, top_logprobs: 5, max_completion_tokens: 400 });
    expect(completion).toMatchObject({ text: ANSWER, inputTokens: 1000, outputTokens: 30, temperatureSent: 0, logprobsRequested: true, finishReason: 'stop', servedModel: 'gpt-4.1' });
    const labelStep = completion.logprobs!.find((t) => t.token === 'abnormal')!;
    expect(Math.exp(labelStep.logprob)).toBeCloseTo(0.7, 9);
    expect(labelStep.top.map((t) => t.token)).toEqual(['abnormal', 'normal']);
  });

  it('sends gpt-5.2 no logprobs and no temperature (the family rejects both)', async () => {
    const { server, provider } = await openai('gpt-5.2', () => ({ kind: 'answer', text: ANSWER }));
    const completion = await provider.complete(request, { signal: new AbortController().signal });
    expect(server.requests[0].logprobsRequested).toBe(false);
    expect(server.requests[0].temperature).toBeNull();
    expect(completion).toMatchObject({ logprobs: null, temperatureSent: null, logprobsRequested: false });
  });

  it('returns an explicit refusal', async () => {
    const { provider } = await openai('gpt-4.1', () => ({ kind: 'refusal', text: "I'm sorry, I can't help with that." }));
    expect(await provider.complete(request, { signal: new AbortController().signal })).toMatchObject({ text: null, refusal: "I'm sorry, I can't help with that." });
  });

  it('classifies 429 (with Retry-After), 500 and a malformed body as retryable, and 401 as final with the key redacted', async () => {
    const replies = [
      { kind: 'status', status: 429, retryAfterS: 3 },
      { kind: 'status', status: 500 },
      { kind: 'malformed' },
      { kind: 'status', status: 401 },
    ] as const;
    const { provider } = await openai('gpt-4.1', (r) => replies[r.index]);
    const rateLimited = await failure(provider);
    expect([rateLimited.kind, rateLimited.status, rateLimited.retryAfterMs, rateLimited.retryable]).toEqual(['rate-limit', 429, 3000, true]);
    const serverError = await failure(provider);
    expect([serverError.kind, serverError.status, serverError.retryable]).toEqual(['server', 500, true]);
    const malformed = await failure(provider);
    expect([malformed.kind, malformed.retryable]).toEqual(['malformed-response', true]);
    // A wrong key: the server echoes it back in its 401 message, as OpenAI does.
    const unauthorized = await failure(new OpenAiProvider({ kind: 'openai', model: 'gpt-4.1', apiKey: 'sk-wrong-key-9876543210', baseUrl: servers[0].baseUrl }));
    expect([unauthorized.kind, unauthorized.status, unauthorized.retryable]).toEqual(['client', 401, false]);
    expect(unauthorized.message).toContain('[redacted]');
    expect(unauthorized.message).not.toContain('sk-wrong-key-9876543210');
  });

  it('aborts a hung request when the signal fires and reports the reason given', async () => {
    const { provider } = await openai('gpt-4.1', () => ({ kind: 'hang' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new LlmRequestError('no answer within 100 ms', 'timeout')), 100);
    const error = await failure(provider, controller.signal);
    expect([error.kind, error.message]).toEqual(['timeout', 'no answer within 100 ms']);
  });

  it('sends compatible servers max_tokens and asks them for logprobs', async () => {
    const { server, provider } = await openai('pulse-7b', () => ({ kind: 'answer', text: ANSWER }), 'compatible');
    await provider.complete(request, { signal: new AbortController().signal });
    expect(server.requests[0].body).toMatchObject({ model: 'pulse-7b', max_tokens: 1000, logprobs: true });
  });
});

describe('Gemini provider through @google/genai', () => {
  it('posts to /v1beta/models/{model}:generateContent at the configured base URL with the page as inline data', async () => {
    const { server, provider } = await gemini('gemini-2.5-pro', () => ({ kind: 'answer', text: `Sure.\n${ANSWER}`, inputTokens: 1500, outputTokens: 40 }));
    const completion = await provider.complete(request, { signal: new AbortController().signal });
    const seen = server.requests[0];
    expect(seen.path).toBe('/v1beta/models/gemini-2.5-pro:generateContent');
    expect(seen.credential).toBe(GEMINI_KEY);
    expect(seen.imageSha256s).toEqual([image.sha256]);
    expect(seen.temperature).toBe(0);
    expect(seen.logprobsRequested).toBe(false);
    // The supported SDK, not the end-of-life @google/generative-ai (which names itself genai-js).
    expect(seen.client).toMatch(/^google-genai-sdk\/2\.\d+\.\d+ gl-node\//);
    expect(completion).toMatchObject({ text: `Sure.\n${ANSWER}`, inputTokens: 1500, outputTokens: 40, finishReason: 'STOP', servedModel: 'gemini-2.5-pro' });
  });

  it('reads logprobsResult when asked for', async () => {
    const { provider } = await gemini('gemini-2.5-flash', () => ({ kind: 'answer', text: ANSWER, pAbnormal: 0.9 }), true);
    const completion = await provider.complete(request, { signal: new AbortController().signal });
    const labelStep = completion.logprobs!.find((t) => t.token === 'abnormal')!;
    expect(Math.exp(labelStep.top[1].logprob)).toBeCloseTo(0.1, 9);
  });

  it('reports a safety block as a refusal', async () => {
    const { provider } = await gemini('gemini-2.5-pro', () => ({ kind: 'refusal' }));
    expect(await provider.complete(request, { signal: new AbortController().signal })).toMatchObject({ text: null, refusal: 'blocked: SAFETY', finishReason: 'SAFETY' });
  });

  it("takes the retry delay from Google's RetryInfo, retries 503 and malformed bodies, and redacts a rejected key", async () => {
    const replies = [{ kind: 'status', status: 429, retryAfterS: 2 }, { kind: 'status', status: 503 }, { kind: 'malformed' }] as const;
    const { provider, server } = await gemini('gemini-2.5-pro', (r) => replies[r.index]);
    const rateLimited = await failure(provider);
    expect([rateLimited.kind, rateLimited.retryAfterMs]).toEqual(['rate-limit', 2000]);
    expect((await failure(provider)).kind).toBe('server');
    expect((await failure(provider)).kind).toBe('malformed-response');
    const rejected = await failure(new GeminiProvider({ model: 'gemini-2.5-pro', apiKey: 'AIzaWrongKey0123456789', baseUrl: server.baseUrl }));
    expect([rejected.kind, rejected.status]).toEqual(['client', 400]);
    expect(rejected.message).not.toContain('AIzaWrongKey0123456789');
  });

  it('aborts a hung request', async () => {
    const { provider } = await gemini('gemini-2.5-pro', () => ({ kind: 'hang' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new LlmRequestError('no answer within 100 ms', 'timeout')), 100);
    expect((await failure(provider, controller.signal)).kind).toBe('timeout');
  });
});

describe('providerFromEnv', () => {
  it('reads keys and base URLs from the environment and names a missing variable', () => {
    expect(() => providerFromEnv('openai', 'gpt-4.1', {})).toThrow(/OPENAI_API_KEY is not set/);
    expect(() => providerFromEnv('gemini', 'gemini-2.5-pro', {})).toThrow(/GEMINI_API_KEY is not set/);
    expect(() => providerFromEnv('compatible', 'pulse-7b', {})).toThrow(/LEADWISE_COMPAT_BASE_URL is not set/);
    expect(() => providerFromEnv('anthropic', 'x', {})).toThrow(/unknown provider/);
    const compatible = providerFromEnv('compatible', 'pulse-7b', { LEADWISE_COMPAT_BASE_URL: 'http://127.0.0.1:8000/v1' });
    expect([compatible.provider, compatible.baseUrl, compatible.info.logprobs]).toEqual(['compatible', 'http://127.0.0.1:8000/v1', true]);
    const gem = providerFromEnv('gemini', 'gemini-2.5-pro', { GOOGLE_API_KEY: GEMINI_KEY });
    expect(gem.baseUrl).toBe('https://generativelanguage.googleapis.com');
    // The key lives in private fields only, so logging or serialising a provider cannot leak it.
    expect(JSON.stringify(gem)).not.toContain(GEMINI_KEY);
    expect(JSON.stringify(providerFromEnv('openai', 'gpt-4.1', { OPENAI_API_KEY: KEY }))).not.toContain(KEY);
  });
});
