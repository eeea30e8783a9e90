import type { LeadName } from './leads.ts';

export const SEXES = ['male', 'female'] as const;
export type Sex = (typeof SEXES)[number];

/** A decoded 12-lead recording in physical units, the common currency between ecg, render and models. */
export interface EcgRecording {
  /** Record name as in its header, e.g. `00001_lr` or `JS00001`. */
  recordName: string;
  samplingRateHz: number;
  /** Samples per lead. */
  lengthSamples: number;
  /** Lead names in canonical form, parallel to `signalsMv`. */
  leadNames: LeadName[];
  /** One Float32Array of millivolts per lead. */
  signalsMv: Float32Array[];
  ageYears?: number | null;
  sex?: Sex | null;
}

/** Returns the signal of a lead by canonical name, or throws naming the record and lead. */
export function leadSignal(recording: EcgRecording, lead: LeadName): Float32Array {
  const index = recording.leadNames.indexOf(lead);
  if (index < 0) throw new Error(`record ${recording.recordName} has no lead ${lead}`);
  return recording.signalsMv[index];
}
