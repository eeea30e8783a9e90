import type { Random } from '@leadwise/ecg';

export function uniform(random: Random, low: number, high: number): number {
  return low + (high - low) * random();
}

/** Standard normal by Box-Muller. */
export function gaussian(random: Random): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
