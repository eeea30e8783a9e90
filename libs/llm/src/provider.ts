import type { LlmRequest } from './llm-request.ts';
import type { TokenLogprob } from './logprob-score.ts';
import type { ModelInfo, ProviderName } from './model-catalog.ts';

/** What came back from one successful HTTP exchange, in provider-neutral form. */
export interface LlmCompletion {
  /** The answer text, or null when the model refused or returned no text. */
  text: string | null;
  /** A refusal the provider signalled explicitly (OpenAI `refusal`, Gemini safety block). */
  refusal: string | null;
  finishReason: string | null;
  /** Token log-probabilities when requested and returned. */
  logprobs: TokenLogprob[] | null;
  inputTokens: number | null;
  /** Output tokens as billed, hidden reasoning included. */
  outputTokens: number | null;
  reasoningTokens: number | null;
  /** The model version the server says answered. */
  servedModel: string | null;
  /** The temperature actually sent (null: the model's default, for models that accept no other). */
  temperatureSent: number | null;
  logprobsRequested: boolean;
}

export interface CompleteOptions {
  signal: AbortSignal;
}

export interface LlmProvider {
  readonly provider: ProviderName;
  readonly model: string;
  readonly info: ModelInfo;
  /** Base URL in use, without credentials (for run params). */
  readonly baseUrl: string;
  /** Sends one request. Throws `LlmRequestError` (redacted) for every failure. */
  complete(request: LlmRequest, options: CompleteOptions): Promise<LlmCompletion>;
}
