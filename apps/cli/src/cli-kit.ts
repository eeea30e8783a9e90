import { SingleBar, Presets } from 'cli-progress';

/** Prints a result as JSON when asked (for scripts) or through a human formatter otherwise. */
export function printResult<T>(result: T, json: boolean | undefined, human: (r: T) => string): void {
  process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${human(result)}\n`);
}

export interface ProgressBar {
  update(done: number, total?: number, detail?: string): void;
  stop(): void;
}

/**
 * A progress bar with counts, rate and ETA on stderr, so that `--json` output on stdout stays clean.
 * When stderr is not a terminal (CI, logs) it prints a line at most every 5 s instead.
 */
export function createProgressBar(label: string, total: number): ProgressBar {
  if (!process.stderr.isTTY) {
    let lastPrintMs = 0;
    const startMs = Date.now();
    return {
      update(done, newTotal, detail) {
        if (newTotal !== undefined) total = newTotal;
        const nowMs = Date.now();
        if (nowMs - lastPrintMs < 5000 && done < total) return;
        lastPrintMs = nowMs;
        const elapsedS = (nowMs - startMs) / 1000;
        const etaS = done > 0 ? (elapsedS / done) * (total - done) : NaN;
        process.stderr.write(
          `${label} ${done}/${total} (${((100 * done) / Math.max(total, 1)).toFixed(0)}%) ` +
            `elapsed ${formatSeconds(elapsedS)} eta ${formatSeconds(etaS)}${detail ? ` ${detail}` : ''}\n`,
        );
      },
      stop() {
        // Line mode has nothing to clear.
      },
    };
  }
  const bar = new SingleBar(
    { format: `${label} [{bar}] {value}/{total} {percentage}% | {rate}/s | eta {eta_formatted} {detail}`, stream: process.stderr, etaBuffer: 50 },
    Presets.shades_classic,
  );
  const startMs = Date.now();
  bar.start(total, 0, { rate: '0', detail: '' });
  return {
    update(done, newTotal, detail) {
      if (newTotal !== undefined) bar.setTotal(newTotal);
      const rate = done / Math.max((Date.now() - startMs) / 1000, 1e-3);
      bar.update(done, { rate: rate.toFixed(1), detail: detail ?? '' });
    },
    stop() {
      bar.stop();
    },
  };
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${Math.round(s % 60).toString().padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60).toString().padStart(2, '0')}m`;
}

/** A mistake in how a command was called (a bad flag value): printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Prints an error for a person: typed errors by message, unexpected ones with their stack. Returns the exit code. */
export function reportFailure(error: unknown): number {
  if (error instanceof Error && error.name !== 'Error' && error.name !== 'TypeError') {
    process.stderr.write(`leadwise: ${error.name}: ${error.message}\n`);
    return 2;
  }
  process.stderr.write(`leadwise: unexpected failure\n${error instanceof Error ? error.stack : String(error)}\n`);
  return 1;
}
