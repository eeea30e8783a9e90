import { ApiError, GoogleGenAI, type GenerateContentConfig, type GenerateContentResponse, type Part } from '@google/genai';
import { LlmRequestError, failureKindForStatus } from './errors.ts';
import { buildRequestParts, type LlmRequest } from './llm-request.ts';
import type { TokenLogprob } from './logprob-score.ts';
import { modelInfo, type ModelInfo } from './model-catalog.ts';
import type { CompleteOptions, LlmCompletion, LlmProvider } from './provider.ts';
import { redactSecrets } from './redact.ts';

export interface GeminiProviderOptions {
  model: string;
  apiKey: string;
  /** Defaults to https://generativelanguage.googleapis.com; the SDK appends `/v1beta/models/{model}:generateContent`. */
  baseUrl?: string;
  /** Ask for `responseLogprobs` (support varies by model; off by default). */
  logprobs?: boolean;
  topLogprobs?: number;
}

const DEFAULT_GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com';

/** Google's 429s carry `google.rpc.RetryInfo` with a `retryDelay` such as "17s" or "0.5s". */
function retryDelayFromDetails(details: unknown): number | null {
  if (!Array.isArray(details)) return null;
  for (const detail of details) {
    const delay = (detail as { retryDelay?: unknown })?.retryDelay;
    if (typeof delay === 'string') {
      const match = /^(\d+(?:\.\d+)?)s$/.exec(delay.trim());
      if (match) return Number(match[1]) * 1000;
    }
  }
  return null;
}

/** The parsed body of an `ApiError`, whose message is the JSON error body Google sent. */
function apiErrorBody(error: ApiError): { message: string | null; details: unknown } {
  try {
    const body = JSON.parse(error.message) as { error?: { message?: unknown; details?: unknown } };
    return { message: typeof body.error?.message === 'string' ? body.error.message : null, details: body.error?.details };
  } catch {
    return { message: null, details: undefined };
  }
}

/**
 * Gemini through `@google/genai` (the supported SDK; `@google/generative-ai` reached end of life on
 * 31 Aug 2025), images as inline data. The SDK's own retries stay off (no `retryOptions`): retries
 * are Leadwise's retry policy, which honours `RetryInfo` and counts every attempt.
 */
export class GeminiProvider implements LlmProvider {
  readonly provider = 'gemini' as const;
  readonly model: string;
  readonly info: ModelInfo;
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #client: GoogleGenAI;
  private readonly logprobs: boolean;
  private readonly topLogprobs: number;

  constructor(options: GeminiProviderOptions) {
    this.model = options.model;
    this.info = modelInfo('gemini', options.model);
    this.baseUrl = options.baseUrl ?? DEFAULT_GEMINI_BASE_URL;
    this.#apiKey = options.apiKey;
    this.#client = new GoogleGenAI({ apiKey: options.apiKey, apiVersion: 'v1beta', httpOptions: { baseUrl: this.baseUrl } });
    this.logprobs = options.logprobs ?? this.info.logprobs;
    this.topLogprobs = options.topLogprobs ?? 5;
  }

  buildGenerationConfig(request: LlmRequest): GenerateContentConfig {
    const config: GenerateContentConfig = { maxOutputTokens: request.maxOutputTokens ?? this.info.defaultMaxOutputTokens };
    if (this.info.temperature) config.temperature = request.temperature;
    if (this.logprobs) {
      config.responseLogprobs = true;
      config.logprobs = this.topLogprobs;
    }
    return config;
  }

  async complete(request: LlmRequest, options: CompleteOptions): Promise<LlmCompletion> {
    const parts: Part[] = buildRequestParts(request).map((part) =>
      part.type === 'text'
        ? { text: part.text }
        : { inlineData: { mimeType: part.image.mimeType, data: Buffer.from(part.image.bytes.buffer, part.image.bytes.byteOffset, part.image.bytes.byteLength).toString('base64') } },
    );
    const generationConfig = this.buildGenerationConfig(request);
    let response: GenerateContentResponse;
    try {
      response = await this.#client.models.generateContent({
        model: this.model,
        contents: [{ role: 'user', parts }],
        config: { ...generationConfig, abortSignal: options.signal },
      });
    } catch (error) {
      throw this.toRequestError(error, options.signal);
    }
    if (!response || typeof response !== 'object') throw new LlmRequestError(`gemini ${this.model}: empty response body`, 'malformed-response');
    const candidate = response.candidates?.[0];
    const text = candidate?.content?.parts?.map((p) => (typeof p.text === 'string' && !(p as { thought?: boolean }).thought ? p.text : '')).join('') ?? '';
    const blockReason = response.promptFeedback?.blockReason ?? null;
    const finishReason = candidate?.finishReason ?? (blockReason ? `BLOCKED_${blockReason}` : null);
    if (!candidate && !blockReason) throw new LlmRequestError(`gemini ${this.model}: response has no candidates`, 'malformed-response');
    const refusal = blockReason || finishReason === 'SAFETY' || finishReason === 'PROHIBITED_CONTENT' ? `blocked: ${blockReason ?? finishReason}` : null;
    const logprobsResult = candidate?.logprobsResult;
    const logprobs: TokenLogprob[] | null = logprobsResult?.chosenCandidates
      ? logprobsResult.chosenCandidates.map((chosen, i) => ({
          token: chosen.token ?? '',
          logprob: chosen.logProbability ?? Number.NaN,
          top: (logprobsResult.topCandidates?.[i]?.candidates ?? []).map((c) => ({ token: c.token ?? '', logprob: c.logProbability ?? Number.NaN })),
        }))
      : null;
    const usage = response.usageMetadata;
    const reasoningTokens = usage?.thoughtsTokenCount ?? null;
    return {
      text: text === '' ? null : text,
      refusal,
      finishReason,
      logprobs,
      inputTokens: usage?.promptTokenCount ?? null,
      outputTokens: usage ? (usage.candidatesTokenCount ?? 0) + (reasoningTokens ?? 0) : null,
      reasoningTokens,
      servedModel: response.modelVersion ?? null,
      temperatureSent: generationConfig.temperature ?? null,
      logprobsRequested: generationConfig.responseLogprobs === true,
    };
  }

  private toRequestError(error: unknown, signal: AbortSignal): LlmRequestError {
    const where = `gemini ${this.model}`;
    const redact = (text: string) => redactSecrets(text, [this.#apiKey]);
    if (signal.aborted || (error instanceof Error && error.name === 'AbortError')) {
      const reason = signal.reason instanceof LlmRequestError ? signal.reason : null;
      return reason ?? new LlmRequestError(`${where}: request aborted`, 'aborted');
    }
    if (error instanceof ApiError && typeof error.status === 'number') {
      const body = apiErrorBody(error);
      return new LlmRequestError(
        redact(`${where}: [${error.status}] ${body.message ?? error.message}`),
        failureKindForStatus(error.status),
        error.status,
        retryDelayFromDetails(body.details),
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    // fetch fails with a TypeError ("fetch failed") on connection errors; a body that is not JSON
    // fails in the SDK's response.json() with a SyntaxError.
    const kind = error instanceof TypeError && /fetch failed|network|ECONNREFUSED|ECONNRESET|socket/i.test(`${message} ${String((error as { cause?: unknown }).cause)}`) ? 'network' : 'malformed-response';
    return new LlmRequestError(redact(`${where}: ${message}`), kind);
  }
}
