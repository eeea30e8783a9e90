/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna 2018) seeded through splitmix32, so
 * that any integer seed (0 included) gives a well-mixed state. Same seed, same bootstrap, on every
 * platform: Math.random cannot be seeded.
 */
export interface Prng {
  /** Uniform in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform integer in [0, n). */
  nextInt(n: number): number;
}

export function createPrng(seed: number): Prng {
  // State lives in a typed array: 32-bit values in closure variables would be boxed as heap
  // numbers on every update, which made drawing ten times slower.
  const s = new Uint32Array(4);
  let mix = (seed >>> 0) ^ (Math.floor(Math.abs(seed) / 2 ** 32) >>> 0);
  for (let i = 0; i < 4; i++) {
    mix = (mix + 0x9e3779b9) | 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    s[i] = z ^ (z >>> 16);
  }
  const nextUint32 = (): number => {
    const b5 = Math.imul(s[1], 5);
    const result = Math.imul((b5 << 7) | (b5 >>> 25), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 11) | (s[3] >>> 21);
    return result;
  };
  const next = (): number => ((nextUint32() >>> 5) * 67108864 + (nextUint32() >>> 6)) / 9007199254740992;
  return { next, nextInt: (n: number) => Math.floor(next() * n) };
}
