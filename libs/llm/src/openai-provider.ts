import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionContentPart, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { LlmRequestError, failureKindForStatus, parseRetryAfter } from './errors.ts';
import { buildRequestParts, type LlmRequest } from './llm-request.ts';
import type { TokenLogprob } from './logprob-score.ts';
import { modelInfo, type ModelInfo } from './model-catalog.ts';
import type { CompleteOptions, LlmCompletion, LlmProvider } from './provider.ts';
import { redactSecrets } from './redact.ts';

export interface OpenAiProviderOptions {
  /** `openai` for api.openai.com (or a proxy of it), `compatible` for vLLM, Ollama, LM Studio... */
  kind: 'openai' | 'compatible';
  model: string;
  apiKey: string;
  baseUrl: string;
  /** Overrides the catalogue: request token log-probabilities. */
  logprobs?: boolean;
  /** Alternatives per token; 5 is enough to see both labels at the label step. */
  topLogprobs?: number;
  /** OpenAI image detail; `high` so the model sees the page at its tile resolution. */
  imageDetail?: 'low' | 'high' | 'auto';
}

function toDataUrl(bytes: Uint8Array, mimeType: string): string {
  return `data:${mimeType};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}

/** OpenAI Chat Completions, and any server that speaks it, through the official SDK. */
export class OpenAiProvider implements LlmProvider {
  readonly provider: 'openai' | 'compatible';
  readonly model: string;
  readonly info: ModelInfo;
  readonly baseUrl: string;
  readonly #client: OpenAI;
  readonly #apiKey: string;
  private readonly logprobs: boolean;
  private readonly topLogprobs: number;
  private readonly imageDetail: 'low' | 'high' | 'auto';

  constructor(options: OpenAiProviderOptions) {
    this.provider = options.kind;
    this.model = options.model;
    this.info = modelInfo(options.kind, options.model);
    this.baseUrl = options.baseUrl;
    this.#apiKey = options.apiKey;
    this.logprobs = options.logprobs ?? this.info.logprobs;
    this.topLogprobs = options.topLogprobs ?? 5;
    this.imageDetail = options.imageDetail ?? 'high';
    // Retries and timeouts are ours (one policy for every provider, Retry-After honoured, every attempt counted).
    this.#client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseUrl, maxRetries: 0, timeout: 24 * 3600 * 1000 });
  }

  buildParams(request: LlmRequest): ChatCompletionCreateParamsNonStreaming {
    const content: ChatCompletionContentPart[] = buildRequestParts(request).map((part) =>
      part.type === 'text'
        ? { type: 'text', text: part.text }
        : { type: 'image_url', image_url: { url: toDataUrl(part.image.bytes, part.image.mimeType), detail: this.imageDetail } },
    );
    const maxTokens = request.maxOutputTokens ?? this.info.defaultMaxOutputTokens;
    const params: ChatCompletionCreateParamsNonStreaming = { model: this.model, messages: [{ role: 'user', content }] };
    if (this.info.maxTokensParam === 'max_completion_tokens') params.max_completion_tokens = maxTokens;
    else params.max_tokens = maxTokens;
    if (this.info.temperature) params.temperature = request.temperature;
    if (this.logprobs) {
      params.logprobs = true;
      params.top_logprobs = this.topLogprobs;
    }
    return params;
  }

  async complete(request: LlmRequest, options: CompleteOptions): Promise<LlmCompletion> {
    const params = this.buildParams(request);
    let response: OpenAI.Chat.Completions.ChatCompletion;
    try {
      response = await this.#client.chat.completions.create(params, { signal: options.signal });
    } catch (error) {
      throw this.toRequestError(error, options.signal);
    }
    const choice = Array.isArray(response?.choices) ? response.choices[0] : undefined;
    if (!choice || typeof choice.message !== 'object' || choice.message === null) {
      throw new LlmRequestError(`${this.provider} ${this.model}: response has no choices[0].message`, 'malformed-response');
    }
    const logprobs: TokenLogprob[] | null = choice.logprobs?.content
      ? choice.logprobs.content.map((t) => ({ token: t.token, logprob: t.logprob, top: (t.top_logprobs ?? []).map((a) => ({ token: a.token, logprob: a.logprob })) }))
      : null;
    return {
      text: typeof choice.message.content === 'string' ? choice.message.content : null,
      refusal: choice.message.refusal ?? null,
      finishReason: choice.finish_reason ?? null,
      logprobs,
      inputTokens: response.usage?.prompt_tokens ?? null,
      outputTokens: response.usage?.completion_tokens ?? null,
      reasoningTokens: response.usage?.completion_tokens_details?.reasoning_tokens ?? null,
      servedModel: response.model ?? null,
      temperatureSent: params.temperature ?? null,
      logprobsRequested: params.logprobs === true,
    };
  }

  private toRequestError(error: unknown, signal: AbortSignal): LlmRequestError {
    const where = `${this.provider} ${this.model}`;
    const redact = (text: string) => redactSecrets(text, [this.#apiKey]);
    if (error instanceof APIUserAbortError || signal.aborted) {
      const reason = signal.reason instanceof LlmRequestError ? signal.reason : null;
      return reason ?? new LlmRequestError(`${where}: request aborted`, 'aborted');
    }
    if (error instanceof APIConnectionTimeoutError) return new LlmRequestError(`${where}: request timed out`, 'timeout');
    if (error instanceof APIConnectionError) return new LlmRequestError(redact(`${where}: connection failed: ${error.message}`), 'network');
    if (error instanceof APIError && typeof error.status === 'number') {
      return new LlmRequestError(redact(`${where}: HTTP ${error.status}: ${error.message}`), failureKindForStatus(error.status), error.status, parseRetryAfter(error.headers));
    }
    // The SDK throws SyntaxError (or similar) when a 200 body is not JSON.
    const message = error instanceof Error ? error.message : String(error);
    return new LlmRequestError(redact(`${where}: unreadable response: ${message}`), 'malformed-response');
  }
}
