import { describe, expect, it } from 'vitest';
import { cohenKappa, fleissKappa } from './agreement.ts';

describe('cohenKappa', () => {
  it('matches the worked example on Wikipedia ("Cohen\'s kappa", 50 proposals: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> 0.4)', () => {
    const a = [...Array(20).fill('yes'), ...Array(5).fill('yes'), ...Array(10).fill('no'), ...Array(15).fill('no')];
    const b = [...Array(20).fill('yes'), ...Array(5).fill('no'), ...Array(10).fill('yes'), ...Array(15).fill('no')];
    const result = cohenKappa(a, b);
    expect(result.kappa).toBeCloseTo(0.4, 12);
    expect(result.observedAgreement).toBeCloseTo(0.7, 12);
    expect(result.expectedAgreement).toBeCloseTo(0.5, 12);
  });

  it('leaves out items either rater missed, and is undefined when both are constant', () => {
    expect(cohenKappa(['a', null, 'b'], ['a', 'b', 'b']).n).toBe(2);
    expect(cohenKappa(['a', 'a'], ['a', 'a']).kappa).toBeNull();
  });
});

describe('fleissKappa', () => {
  it('matches the worked example on Wikipedia ("Fleiss\' kappa": 10 subjects, 14 raters, 5 categories -> 0.210)', () => {
    const counts = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    const ratings = counts.map((row) => row.flatMap((count, category) => Array(count).fill(category)));
    const result = fleissKappa(ratings);
    expect(result.kappa).toBeCloseTo(0.20993, 4);
    expect(result.observedAgreement).toBeCloseTo(0.37802, 4);
    // Exactly 4170/19600 from the column totals 20, 28, 39, 21, 32 of 140 (Wikipedia rounds each p_j first and shows 0.213).
    expect(result.expectedAgreement).toBeCloseTo(4170 / 19600, 12);
  });

  it('uses only items every rater labelled', () => {
    expect(fleissKappa([['a', 'a'], ['a', null], ['b', 'b']]).n).toBe(2);
    expect(fleissKappa([[null, null]]).kappa).toBeNull();
  });
});
