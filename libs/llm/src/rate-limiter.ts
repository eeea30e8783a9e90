import { sleep } from './retry-policy.ts';

/**
 * Paces request starts: at most `requestsPerMinute` (spread evenly, no bursts beyond one), and a
 * shared pause that every worker respects when one of them is told to back off by a 429.
 */
export class RequestPacer {
  private nextStartMs = 0;
  private pausedUntilMs = 0;
  private readonly intervalMs: number;

  constructor(requestsPerMinute: number | null, private readonly now: () => number = Date.now) {
    this.intervalMs = requestsPerMinute && requestsPerMinute > 0 ? 60_000 / requestsPerMinute : 0;
  }

  /** Waits until this caller may start a request. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const nowMs = this.now();
      const startMs = Math.max(nowMs, this.nextStartMs, this.pausedUntilMs);
      if (startMs <= nowMs) {
        this.nextStartMs = nowMs + this.intervalMs;
        return;
      }
      await sleep(startMs - nowMs, signal);
    }
  }

  /** Holds every worker back until `untilMs` (a provider-wide Retry-After). */
  pauseUntil(untilMs: number): void {
    this.pausedUntilMs = Math.max(this.pausedUntilMs, untilMs);
  }
}
