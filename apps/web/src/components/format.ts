/** Numbers as a study table prints them: three decimals, a dash for missing values. */
export function fixed(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** `0.812 (0.741 to 0.873)`: an estimate with its confidence interval ("to", as bounds may be negative). */
export function withCi(value: number | null | undefined, low: number | null | undefined, high: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return low === null || low === undefined || high === null || high === undefined ? fixed(value) : `${fixed(value)} (${fixed(low)} to ${fixed(high)})`;
}

export function dateTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '–';
}

export function durationMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

/** The name people know a run by: its name, else model, seed and kind. */
export function runLabel(run: { id: number; name?: string | null; model: string; seed?: number | null; kind: string }): string {
  return run.name ?? `${run.model}${run.seed !== null && run.seed !== undefined ? ` seed ${run.seed}` : ''} (${run.kind.toLowerCase()} #${run.id})`;
}
