import {
  GoogleGenerativeAI,
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIFetchError,
  GoogleGenerativeAIResponseError,
  type GenerateContentResponse,
  type GenerationConfig,
  type Part,
} from '@google/generative-ai';
import { LlmRequestError, failureKindForStatus } from './errors.ts';
import { buildRequestParts, type LlmRequest } from './llm-request.ts';
import type { TokenLogprob } from './logprob-score.ts';
import { modelInfo, type ModelInfo } from './model-catalog.ts';
import type { CompleteOptions, LlmCompletion, LlmProvider } from './provider.ts';
import { redactSecrets } from './redact.ts';

export interface GeminiProviderOptions {
  model: string;
  apiKey: string;
  /** Defaults to the SDK's https://generativelanguage.googleapis.com; the SDK appends `/v1beta/models/{model}:generateContent`. */
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

/** Gemini through `@google/generative-ai`, images as inline data. */
export class GeminiProvider implements LlmProvider {
  readonly provider = 'gemini' as const;
  readonly model: string;
  readonly info: ModelInfo;
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #client: GoogleGenerativeAI;
  private readonly logprobs: boolean;
  private readonly topLogprobs: number;

  constructor(options: GeminiProviderOptions) {
    this.model = options.model;
    this.info = modelInfo('gemini', options.model);
    this.baseUrl = options.baseUrl ?? DEFAULT_GEMINI_BASE_URL;
    this.#apiKey = options.apiKey;
    this.#client = new GoogleGenerativeAI(options.apiKey);
    this.logprobs = options.logprobs ?? this.info.logprobs;
    this.topLogprobs = options.topLogprobs ?? 5;
  }

  buildGenerationConfig(request: LlmRequest): GenerationConfig {
    const config: GenerationConfig = { maxOutputTokens: request.maxOutputTokens ?? this.info.defaultMaxOutputTokens };
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
    // No SDK `timeout`: the SDK never clears that timer, which would keep the process alive. Our signal covers it.
    const model = this.#client.getGenerativeModel({ model: this.model, generationConfig }, { baseUrl: this.baseUrl });
    let response: GenerateContentResponse;
    try {
      const result = await model.generateContent({ contents: [{ role: 'user', parts }] }, { signal: options.signal });
      response = result.response;
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
          token: chosen.token,
          logprob: chosen.logProbability,
          top: (logprobsResult.topCandidates?.[i]?.candidates ?? []).map((c) => ({ token: c.token, logprob: c.logProbability })),
        }))
      : null;
    const usage = response.usageMetadata as (GenerateContentResponse['usageMetadata'] & { thoughtsTokenCount?: number }) | undefined;
    const reasoningTokens = usage?.thoughtsTokenCount ?? null;
    return {
      text: text === '' ? null : text,
      refusal,
      finishReason,
      logprobs,
      inputTokens: usage?.promptTokenCount ?? null,
      outputTokens: usage ? (usage.candidatesTokenCount ?? 0) + (reasoningTokens ?? 0) : null,
      reasoningTokens,
      servedModel: (response as { modelVersion?: string }).modelVersion ?? null,
      temperatureSent: generationConfig.temperature ?? null,
      logprobsRequested: generationConfig.responseLogprobs === true,
    };
  }

  private toRequestError(error: unknown, signal: AbortSignal): LlmRequestError {
    const where = `gemini ${this.model}`;
    const redact = (text: string) => redactSecrets(text, [this.#apiKey]);
    if (error instanceof GoogleGenerativeAIAbortError || signal.aborted) {
      const reason = signal.reason instanceof LlmRequestError ? signal.reason : null;
      return reason ?? new LlmRequestError(`${where}: request aborted`, 'aborted');
    }
    if (error instanceof GoogleGenerativeAIFetchError && typeof error.status === 'number') {
      return new LlmRequestError(redact(`${where}: ${error.message}`), failureKindForStatus(error.status), error.status, retryDelayFromDetails(error.errorDetails));
    }
    if (error instanceof GoogleGenerativeAIResponseError) return new LlmRequestError(redact(`${where}: ${error.message}`), 'malformed-response');
    const message = error instanceof Error ? error.message : String(error);
    // The SDK wraps fetch failures ("Error fetching from ...") and JSON errors in plain GoogleGenerativeAIError.
    const kind = /Error fetching from/.test(message) ? 'network' : 'malformed-response';
    return new LlmRequestError(redact(`${where}: ${message}`), kind);
  }
}
