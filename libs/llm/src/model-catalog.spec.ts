import { describe, expect, it } from 'vitest';
import { LlmRequestError, parseRetryAfter } from './errors.ts';
import { estimateCostPer100Images, estimateImageTokens, modelInfo } from './model-catalog.ts';
import { redactSecrets } from './redact.ts';
import { retryDelayMs } from './retry-policy.ts';

describe('model catalogue', () => {
  it('knows which models return logprobs and accept a temperature', () => {
    expect(modelInfo('openai', 'gpt-4.1')).toMatchObject({ family: 'gpt-4.1', logprobs: true, temperature: true });
    expect(modelInfo('openai', 'gpt-4.1-2025-04-14').family).toBe('gpt-4.1');
    expect(modelInfo('openai', 'gpt-4.1-mini').family).toBe('gpt-4.1-mini');
    expect(modelInfo('openai', 'gpt-5.2')).toMatchObject({ family: 'gpt-5.2', logprobs: false, temperature: false });
    expect(modelInfo('openai', 'gpt-5.4')).toMatchObject({ family: 'gpt-5', logprobs: false, inputUsdPerMTok: null });
    expect(modelInfo('gemini', 'models/gemini-2.5-pro').family).toBe('gemini-2.5-pro');
    expect(modelInfo('compatible', 'pulse-7b')).toMatchObject({ family: 'unknown', logprobs: true, inputUsdPerMTok: 0 });
  });

  it("counts OpenAI image tokens by the published tile rule (OpenAI vision guide's worked examples)", () => {
    const rule = modelInfo('openai', 'gpt-4.1').imageTokens;
    // Guide: a 1024x1024 image in high detail costs 765 tokens; 2048x4096 costs 1105.
    expect(estimateImageTokens(rule, 1024, 1024)).toBe(765);
    expect(estimateImageTokens(rule, 2048, 4096)).toBe(1105);
  });

  it('counts Gemini image tokens as 258 per 768-px tile, or 258 for a small image', () => {
    const rule = modelInfo('gemini', 'gemini-2.5-pro').imageTokens;
    expect(estimateImageTokens(rule, 384, 300)).toBe(258);
    expect(estimateImageTokens(rule, 1000, 1000)).toBe(4 * 258);
  });

  it('estimates the cost of 100 pages from tokens and list prices', () => {
    // 200-DPI landscape letter page 2200x1700: fit 2048 -> 2048x1583, short side to 768 -> 994x768: 2x2 tiles.
    const estimate = estimateCostPer100Images('openai', 'gpt-4.1', 2200, 1700);
    expect(estimate.imageTokens).toBe(85 + 4 * 170);
    expect(estimate.usdPer100Images).toBeCloseTo((100 * ((765 + 300) * 2 + 80 * 8)) / 1e6, 12);
    expect(estimateCostPer100Images('compatible', 'pulse-7b', 2200, 1700).usdPer100Images).toBeNull();
  });
});

describe('retries', () => {
  const serverError = new LlmRequestError('x', 'server', 500);

  it('backs off exponentially with full jitter, capped', () => {
    const policy = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 10_000 };
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(attempt, serverError, policy, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(retryDelayMs(3, serverError, policy, () => 0)).toBe(0);
  });

  it('waits at least as long as Retry-After asks, up to the cap', () => {
    const policy = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 10_000 };
    expect(retryDelayMs(1, new LlmRequestError('x', 'rate-limit', 429, 3000), policy, () => 0)).toBe(3000);
    expect(retryDelayMs(1, new LlmRequestError('x', 'rate-limit', 429, 60_000), policy, () => 0)).toBe(10_000);
  });

  it('reads Retry-After as seconds, as an HTTP date, and retry-after-ms', () => {
    const headers = (values: Record<string, string>) => new Headers(values);
    expect(parseRetryAfter(headers({ 'retry-after': '7' }))).toBe(7000);
    expect(parseRetryAfter(headers({ 'retry-after-ms': '250', 'retry-after': '7' }))).toBe(250);
    expect(parseRetryAfter(headers({ 'retry-after': 'Wed, 21 Oct 2015 07:28:10 GMT' }), Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }))).toBeNull();
    expect(parseRetryAfter(headers({}))).toBeNull();
  });

  it('treats 429, 5xx, timeouts and garbled bodies as transient, other 4xx as final', () => {
    expect(new LlmRequestError('x', 'rate-limit').retryable).toBe(true);
    expect(new LlmRequestError('x', 'malformed-response').retryable).toBe(true);
    expect(new LlmRequestError('x', 'client', 400).retryable).toBe(false);
    expect(new LlmRequestError('x', 'aborted').retryable).toBe(false);
  });
});

describe('redactSecrets', () => {
  it('removes given secrets and anything shaped like a provider key', () => {
    expect(redactSecrets('key my-own-secret-value used', ['my-own-secret-value'])).toBe('key [redacted] used');
    expect(redactSecrets('Incorrect API key provided: sk-proj-abcdef123456.')).toBe('Incorrect API key provided: [redacted].');
    expect(redactSecrets('API key not valid: AIzaSyAbcdefghijklmnop')).toBe('API key not valid: [redacted]');
    expect(redactSecrets('Authorization: Bearer abcdefghijklmnop')).toBe('Authorization: Bearer [redacted]');
    expect(redactSecrets('GET /v1?key=abc123&x=1')).toBe('GET /v1?key=[redacted]&x=1');
  });

  it('removes credentials inside URLs: user info and secret-named query parameters', () => {
    expect(redactSecrets('compatible http://user:pw@host:8000/v1?token=abc&model=m')).toBe('compatible http://[redacted]@host:8000/v1?token=[redacted]&model=m');
    expect(redactSecrets('https://host/v1?api_key=abc#x')).toBe('https://host/v1?api_key=[redacted]#x');
    expect(redactSecrets('https://host/v1?x-access-token=abc')).toBe('https://host/v1?x-access-token=[redacted]');
    expect(redactSecrets('https://host/v1?model=m')).toBe('https://host/v1?model=m');
  });
});
