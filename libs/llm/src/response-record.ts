import type { ScoreSource } from '@leadwise/ecg';
import type { ParseMethod } from './answer-parser.ts';
import type { LlmFailureKind } from './errors.ts';
import type { BinaryLabel } from './llm-request.ts';
import type { ProviderName } from './model-catalog.ts';

/**
 * The cache key of one answer: which model, asked what, about which exact image bytes, which repeat.
 * `model` is `provider:model` so an OpenAI model and a local server's model of the same name differ.
 */
export interface LlmCacheKey {
  model: string;
  promptHash: string;
  imageSha256: string;
  repeat: number;
}

export function cacheKeyString(key: LlmCacheKey): string {
  return `${key.model}|${key.promptHash}|${key.imageSha256}|${key.repeat}`;
}

/** Where the score used for ranking came from (the value set is @leadwise/ecg's SCORE_SOURCES). */
export type { ScoreSource };

/** Everything kept about one request, success or failure; what libs/study stores per row. */
export interface LlmResponseRecord extends LlmCacheKey {
  provider: ProviderName;
  /** The model id as configured (the key's `model` adds the provider). */
  modelId: string;
  servedModel: string | null;
  promptName: string;
  promptVersion: number;
  recordKey: string;
  /** 'ok': the server answered (parsed or not); 'error': every attempt failed. Error rows are retried on a re-run. */
  status: 'ok' | 'error';
  parseStatus: 'parsed' | 'unparsed' | null;
  parseMethod: ParseMethod | null;
  label: BinaryLabel | null;
  /** P(abnormal) stated by the model (probability or ordinal level). */
  statedScore: number | null;
  /** P(abnormal) from the label token's log-probabilities. */
  logprobScore: number | null;
  /** The score used for ROC, and where it came from. */
  score: number | null;
  scoreSource: ScoreSource;
  narrative: string | null;
  refusal: boolean;
  rawText: string | null;
  finishReason: string | null;
  notes: string[];
  temperature: number | null;
  logprobsRequested: boolean;
  latencyMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  reasoningTokens: number | null;
  /** Estimated from the catalogue's list prices; null when the price is unknown. */
  costUsd: number | null;
  attempts: number;
  error: string | null;
  errorKind: LlmFailureKind | null;
  imageWidthPx: number | null;
  imageHeightPx: number | null;
  imageDpi: number | null;
  imageBytes: number | null;
  createdAt: Date;
}

/**
 * Storage for answers, keyed by `LlmCacheKey`. libs/llm never touches a database: libs/study
 * implements this over the `llm_responses` table; `MemoryResponseCache` serves tests and dry runs.
 */
export interface LlmResponseCache {
  /** The stored rows for any of these keys (missing keys are simply absent). */
  findMany(keys: readonly LlmCacheKey[]): Promise<LlmResponseRecord[]>;
  /** Stores a row durably before resolving; replaces an existing row with the same key (an earlier error). */
  save(record: LlmResponseRecord): Promise<void>;
}

export class MemoryResponseCache implements LlmResponseCache {
  readonly rows = new Map<string, LlmResponseRecord>();

  async findMany(keys: readonly LlmCacheKey[]): Promise<LlmResponseRecord[]> {
    return keys.map((key) => this.rows.get(cacheKeyString(key))).filter((row): row is LlmResponseRecord => row !== undefined);
  }

  async save(record: LlmResponseRecord): Promise<void> {
    this.rows.set(cacheKeyString(record), record);
  }
}
