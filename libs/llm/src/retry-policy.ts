import { LlmRequestError } from './errors.ts';

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server asking for a longer wait than this is obeyed up to this cap. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 60_000, maxRetryAfterMs: 120_000 };

/**
 * Delay before retry number `attempt` (1 = the first retry): exponential backoff with full jitter
 * (AWS Architecture Blog, "Exponential Backoff and Jitter"), but never shorter than what the server
 * asked for in Retry-After. `random` is injectable so tests can pin it.
 */
export function retryDelayMs(attempt: number, error: LlmRequestError, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const backoff = random() * ceiling;
  if (error.retryAfterMs !== null) {
    // Honour the server, with a little jitter on top so clients it throttled together do not return together.
    return Math.min(policy.maxRetryAfterMs, error.retryAfterMs) + random() * Math.min(policy.baseDelayMs, 1000) * 0.25;
  }
  return backoff;
}

/** Resolves after `ms`, or rejects at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
