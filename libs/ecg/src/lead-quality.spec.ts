import { describe, expect, it } from 'vitest';
import { LEAD_NAMES } from './leads.ts';
import { checkLimbLeadConsistency } from './lead-quality.ts';
import type { EcgRecording } from './recording.ts';
import { consistentTwelveLeadAdu } from './testing.ts';

function recording(leadsAdu: Int16Array[], leadNames = [...LEAD_NAMES]): EcgRecording {
  return {
    recordName: 'synthetic',
    samplingRateHz: 100,
    lengthSamples: leadsAdu[0].length,
    leadNames,
    signalsMv: leadsAdu.map((lead) => Float32Array.from(lead, (adu) => adu / 1000)),
  };
}

describe('checkLimbLeadConsistency', () => {
  it('passes leads built to satisfy III = II - I and the Goldberger relations', () => {
    const result = checkLimbLeadConsistency(recording(consistentTwelveLeadAdu(500)));
    expect(result.consistent).toBe(true);
    expect(result.maxResidualMv).toBeLessThan(1e-6);
  });

  it('flags swapped I and II with the residual in mV', () => {
    const leads = consistentTwelveLeadAdu(500);
    [leads[0], leads[1]] = [leads[1], leads[0]];
    const result = checkLimbLeadConsistency(recording(leads));
    expect(result.consistent).toBe(false);
    // With I and II swapped, III is off by 2(II - I) at each sample; the largest |II - I| bounds it.
    const original = consistentTwelveLeadAdu(500);
    let expected = 0;
    for (let t = 0; t < 500; t++) expected = Math.max(expected, Math.abs(2 * (original[1][t] - original[0][t])) / 1000);
    expect(result.residualsMv.III).toBeCloseTo(expected, 5);
  });

  it('reports missing limb leads as inconsistent', () => {
    const leads = consistentTwelveLeadAdu(10).slice(0, 2);
    const result = checkLimbLeadConsistency(recording(leads, ['I', 'II']));
    expect(result).toMatchObject({ consistent: false, missingLeads: ['III', 'aVR', 'aVL', 'aVF'] });
  });
});
