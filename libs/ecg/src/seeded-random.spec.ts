import { describe, expect, it } from 'vitest';
import { createRandom, mixSeed, randomInt, seededPermutation, seededRandom } from './seeded-random.ts';

// Expected values from an independent Python mulberry32 (and FNV-1a for stream names); they are also
// what the models and render generators this one replaced gave, so training and augmentations draw
// the same sequences as before.
describe('seeded random', () => {
  it('gives mulberry32 sequence for a seed', () => {
    const random = createRandom(1);
    expect([random(), random(), random()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
    const zero = createRandom(0);
    expect([zero(), zero()]).toEqual([0.26642920868471265, 0.0003297457005828619]);
  });

  it('gives each named stream of a seed its own sequence', () => {
    const contrast = seededRandom(7, 'contrastFactor');
    expect([contrast(), contrast()]).toEqual([0.7746928746346384, 0.41619057138450444]);
    expect(seededRandom(7, 'brightnessShift')()).not.toBe(0.7746928746346384);
  });

  it('draws integers in range, mixes seeds and permutes deterministically', () => {
    const random = createRandom(5);
    const draws = Array.from({ length: 1000 }, () => randomInt(random, 7));
    expect(Math.min(...draws)).toBe(0);
    expect(Math.max(...draws)).toBe(6);
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(1, 2)).toBeLessThan(2 ** 31);
    expect(seededPermutation(10, 3)).toEqual(seededPermutation(10, 3));
    expect([...seededPermutation(10, 3)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
