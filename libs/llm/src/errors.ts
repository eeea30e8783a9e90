/**
 * Typed errors of the LLM arm. `LlmRequestError` carries what the retry loop needs (is it worth
 * retrying, how long the server asked us to wait); its message is always redacted of secrets.
 */

export class LlmConfigError extends Error {
  override name = 'LlmConfigError';
}

export class LlmPromptError extends Error {
  override name = 'LlmPromptError';
}

export type LlmFailureKind = 'rate-limit' | 'server' | 'timeout' | 'network' | 'client' | 'malformed-response' | 'aborted';

export class LlmRequestError extends Error {
  override name = 'LlmRequestError';
  constructor(
    message: string,
    readonly kind: LlmFailureKind,
    readonly status: number | null = null,
    /** Delay the server asked for (Retry-After, retry-after-ms, Google RetryInfo), in ms. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }

  /** 429, 5xx, timeouts, dropped connections and garbled bodies are transient; other 4xx are not. */
  get retryable(): boolean {
    return this.kind === 'rate-limit' || this.kind === 'server' || this.kind === 'timeout' || this.kind === 'network' || this.kind === 'malformed-response';
  }
}

/** Maps an HTTP status to a failure kind. 408 and 409 are retried by OpenAI's own SDK too. */
export function failureKindForStatus(status: number): LlmFailureKind {
  if (status === 429) return 'rate-limit';
  if (status === 408) return 'timeout';
  if (status === 409 || status >= 500) return 'server';
  return 'client';
}

/**
 * Parses a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), plus OpenAI's
 * `retry-after-ms`. Returns null when absent or unreadable.
 */
export function parseRetryAfter(headers: { get(name: string): string | null } | null | undefined, nowMs = Date.now()): number | null {
  if (!headers) return null;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.max(0, Number(value) * 1000);
  const dateMs = Date.parse(value);
  return Number.isNaN(dateMs) ? null : Math.max(0, dateMs - nowMs);
}
