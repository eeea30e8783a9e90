import { describe, expect, it } from 'vitest';
import { LOCALISED_GROUP_NAMES, localisedGroupTargets } from './localised-statements.ts';

describe('localisedGroupTargets', () => {
  it('orders the groups as the lead groups, without aVR', () => {
    expect(LOCALISED_GROUP_NAMES).toEqual(['inferior', 'lateral', 'septal', 'anterior']);
  });

  it('marks every region a statement names, at any likelihood', () => {
    expect(localisedGroupTargets({ NORM: 100, SR: 0 })).toEqual([0, 0, 0, 0]);
    expect(localisedGroupTargets({ IMI: 15, SR: 0 })).toEqual([1, 0, 0, 0]);
    expect(localisedGroupTargets({ ILMI: 0 })).toEqual([1, 1, 0, 0]);
    expect(localisedGroupTargets({ ASMI: 100 })).toEqual([0, 0, 1, 1]);
    expect(localisedGroupTargets({ ISCAL: 50, INJAS: 50 })).toEqual([0, 1, 1, 1]);
    expect(localisedGroupTargets({ PMI: 100, NDT: 100 })).toEqual([0, 0, 0, 0]);
  });

  it('gives null for codes that are not SCP statements', () => {
    expect(localisedGroupTargets(['164889003', '426783006'])).toBeNull();
  });
});
