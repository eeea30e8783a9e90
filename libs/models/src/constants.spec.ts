import { LEAD_NAMES } from '@leadwise/ecg';
import { describe, expect, it } from 'vitest';
import { BOX_COUNT, groupMembershipMatrix, RHYTHM_BOX, withRhythmBox } from './constants.ts';

describe('lead boxes and groups', () => {
  it('counts the lead II rhythm strip in the inferior group: II, III, aVF and the strip, a quarter each', () => {
    const matrix = groupMembershipMatrix(true);
    expect(matrix).toHaveLength(5);
    for (const row of matrix) {
      expect(row).toHaveLength(13);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
    const inferior = matrix[0];
    const members = inferior.flatMap((w, box) => (w > 0 ? [box < 12 ? LEAD_NAMES[box] : 'rhythm'] : []));
    expect(members).toEqual(['II', 'III', 'aVF', 'rhythm']);
    expect(inferior[RHYTHM_BOX]).toBe(0.25);
    // No other group gets the strip.
    for (const row of matrix.slice(1)) expect(row[RHYTHM_BOX]).toBe(0);
  });

  it('without the rhythm strip has the 12 panels only, a third each for the inferior leads', () => {
    const matrix = groupMembershipMatrix(false);
    expect(matrix[0]).toHaveLength(12);
    expect(matrix[0].filter((w) => w > 0)).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  it('pads 12 panel boxes with lead II\'s panel and refuses other counts', () => {
    const panels = LEAD_NAMES.map((_, i) => [i, 0, i + 1, 1] as const);
    const padded = withRhythmBox(panels);
    expect(padded).toHaveLength(BOX_COUNT);
    expect(padded[RHYTHM_BOX]).toEqual([1, 0, 2, 1]);
    expect(withRhythmBox(padded)).toEqual(padded);
    expect(() => withRhythmBox(panels.slice(0, 5))).toThrow(/expected 12 or 13 lead boxes, got 5/);
  });
});
