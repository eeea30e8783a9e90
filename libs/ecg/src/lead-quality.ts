import type { LeadName } from './leads.ts';
import type { EcgRecording } from './recording.ts';

/**
 * Limb-lead consistency. Of the six limb leads only two are measured; the others follow from
 * Einthoven (III = II - I) and Goldberger (aVR = -(I + II)/2, aVL = I - II/2, aVF = II - I/2).
 * A large residual means swapped or mislabelled leads, or a corrupt file.
 */

/** Default tolerance in mV. Files store each lead rounded to its own adu (1 uV in PTB-XL), so
 *  a few adu of disagreement is rounding; 0.05 mV is half a small ECG-paper square. */
export const LEAD_CONSISTENCY_TOLERANCE_MV = 0.05;

export interface LeadConsistency {
  /** True when every relation holds within tolerance at every sample. */
  consistent: boolean;
  /** Largest absolute residual over all relations and samples, in mV (NaN samples skipped). */
  maxResidualMv: number;
  /** Largest residual per derived lead. */
  residualsMv: Partial<Record<'III' | 'aVR' | 'aVL' | 'aVF', number>>;
  /** Limb leads the record lacks, which makes the check impossible (consistent is then false). */
  missingLeads: LeadName[];
  toleranceMv: number;
}

type Relation = { lead: 'III' | 'aVR' | 'aVL' | 'aVF'; expected: (i: number, ii: number) => number };

const RELATIONS: Relation[] = [
  { lead: 'III', expected: (i, ii) => ii - i },
  { lead: 'aVR', expected: (i, ii) => -(i + ii) / 2 },
  { lead: 'aVL', expected: (i, ii) => i - ii / 2 },
  { lead: 'aVF', expected: (i, ii) => ii - i / 2 },
];

/** Checks Einthoven's and Goldberger's relations on a recording's limb leads. */
export function checkLimbLeadConsistency(recording: EcgRecording, toleranceMv = LEAD_CONSISTENCY_TOLERANCE_MV): LeadConsistency {
  const signal = (lead: LeadName) => {
    const index = recording.leadNames.indexOf(lead);
    return index >= 0 ? recording.signalsMv[index] : null;
  };
  const leadI = signal('I');
  const leadII = signal('II');
  const missingLeads = (['I', 'II', 'III', 'aVR', 'aVL', 'aVF'] as const).filter((lead) => signal(lead) === null);
  const residualsMv: LeadConsistency['residualsMv'] = {};
  let maxResidualMv = 0;
  if (leadI && leadII) {
    for (const relation of RELATIONS) {
      const derived = signal(relation.lead);
      if (!derived) continue;
      let max = 0;
      const n = Math.min(leadI.length, leadII.length, derived.length);
      for (let t = 0; t < n; t++) {
        const residual = Math.abs(derived[t] - relation.expected(leadI[t], leadII[t]));
        if (residual > max) max = residual;
      }
      residualsMv[relation.lead] = max;
      if (max > maxResidualMv) maxResidualMv = max;
    }
  }
  return {
    consistent: missingLeads.length === 0 && maxResidualMv <= toleranceMv,
    maxResidualMv,
    residualsMv,
    missingLeads,
    toleranceMv,
  };
}
