/**
 * Leadwise's one seeded generator (issue 17): mulberry32, 32 bits of state, the same sequence for a
 * seed on every platform (Math.random cannot be seeded). It lives in the bottom library so that
 * training (shuffles, dropout, fixtures), page augmentations, splits and bootstrap draw from the
 * same code. Its output has 32 random bits, plenty for shuffles and for resampling indices.
 */
export type Random = () => number;

export function createRandom(seed: number): Random {
  // State in a typed array: a 32-bit value in a closure variable is boxed as a heap number on every
  // update, which made a bootstrap's millions of draws several times slower.
  const state = new Uint32Array([seed >>> 0]);
  return () => {
    state[0] = state[0] + 0x6d2b79f5;
    let t = state[0];
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}

function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A generator for one named stream of a seed, so that each consumer (e.g. each page augmentation)
 * has its own stream: switching one off never changes what the others draw.
 */
export function seededRandom(seed: number, stream: string): Random {
  return createRandom((Math.imul(seed >>> 0, 0x9e3779b1) ^ hashString(stream)) >>> 0);
}

/** Mixes integers into one 31-bit seed (FNV-1a over their 32-bit words), e.g. (run seed, epoch, sample). */
export function mixSeed(...parts: number[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    let value = part >>> 0;
    for (let byte = 0; byte < 4; byte += 1) {
      hash ^= value & 0xff;
      hash = Math.imul(hash, 0x01000193) >>> 0;
      value >>>= 8;
    }
  }
  return hash & 0x7fffffff;
}

/** Fisher-Yates permutation of 0..n-1 driven by a seeded generator. */
export function seededPermutation(n: number, seed: number): number[] {
  const random = createRandom(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
