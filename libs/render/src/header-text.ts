import type { EcgRecording } from '@leadwise/ecg';
import type { ResolvedRenderOptions } from './render-options.ts';

/**
 * The two header lines. Paper speed is labelled as a speed in mm/s and the sampling rate as a
 * recording rate: ecg-image-kit's users found plots labelling the sample rate where the speed belongs.
 */
export function headerLines(recording: EcgRecording, options: ResolvedRenderOptions): [string, string] {
  const age = recording.ageYears ?? null;
  const sex = recording.sex ?? null;
  return [
    `ID: ${recording.recordName}    Age: ${age === null ? 'unknown' : `${age} y`}    Sex: ${sex ?? 'unknown'}`,
    `Speed: ${options.paperSpeedMmPerS} mm/s    Gain: ${options.gainMmPerMv} mm/mV    Filter: ${options.filterDescription}    ` +
      `Recorded at ${recording.samplingRateHz} Hz`,
  ];
}
