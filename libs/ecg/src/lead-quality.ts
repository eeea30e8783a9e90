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
    const derived = { III: signal('III'), aVR: signal('aVR'), aVL: signal('aVL'), aVF: signal('aVF') };
    // One pass over the samples for all four relations; this runs on every imported record.
    let n = Math.min(leadI.length, leadII.length);
    for (const d of Object.values(derived)) if (d) n = Math.min(n, d.length);
    const empty = new Float32Array(0);
    const [iii, avr, avl, avf] = [derived.III ?? empty, derived.aVR ?? empty, derived.aVL ?? empty, derived.aVF ?? empty];
    let maxIII = 0;
    let maxAVR = 0;
    let maxAVL = 0;
    let maxAVF = 0;
    for (let t = 0; t < n; t++) {
      const i = leadI[t];
      const ii = leadII[t];
      // NaN (invalid samples) fails every comparison and so never raises a maximum.
      if (iii.length) {
        const r = Math.abs(iii[t] - (ii - i));
        if (r > maxIII) maxIII = r;
      }
      if (avr.length) {
        const r = Math.abs(avr[t] + (i + ii) / 2);
        if (r > maxAVR) maxAVR = r;
      }
      if (avl.length) {
        const r = Math.abs(avl[t] - (i - ii / 2));
        if (r > maxAVL) maxAVL = r;
      }
      if (avf.length) {
        const r = Math.abs(avf[t] - (ii - i / 2));
        if (r > maxAVF) maxAVF = r;
      }
    }
    if (derived.III) residualsMv.III = maxIII;
    if (derived.aVR) residualsMv.aVR = maxAVR;
    if (derived.aVL) residualsMv.aVL = maxAVL;
    if (derived.aVF) residualsMv.aVF = maxAVF;
    maxResidualMv = Math.max(0, ...Object.values(residualsMv));
  }
  return {
    consistent: missingLeads.length === 0 && maxResidualMv <= toleranceMv,
    maxResidualMv,
    residualsMv,
    missingLeads,
    toleranceMv,
  };
}
