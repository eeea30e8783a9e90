import type { EcgRecording } from '@leadwise/ecg';
import { leadSignal } from '@leadwise/ecg';
import type { PanelLayout } from './page-layout.ts';

/** The points a panel's trace passes through: times in seconds of the recording, values in mV. */
export interface TracePoints {
  timesS: Float64Array;
  valuesMv: Float64Array;
  count: number;
  minMv: number;
  maxMv: number;
}

/**
 * Samples of the panel's time window at their true times, plus the linearly interpolated values at
 * the window's two edges, so that the trace spans exactly the window and no sample is moved in time.
 * The window is clipped to the recording; null when nothing of it is recorded.
 */
export function panelTracePoints(recording: EcgRecording, panel: PanelLayout, signalMv?: Float32Array): TracePoints | null {
  const signal = signalMv ?? leadSignal(recording, panel.lead);
  const fs = recording.samplingRateHz;
  const lastS = (signal.length - 1) / fs;
  const startS = panel.startS;
  const endS = Math.min(panel.endS, lastS);
  if (signal.length < 2 || endS <= startS) return null;
  const sign = panel.inverted ? -1 : 1;
  const firstInside = Math.floor(startS * fs) + 1;
  const lastInside = Math.ceil(endS * fs) - 1;
  const interiorCount = Math.max(0, lastInside - firstInside + 1);
  const count = interiorCount + 2;
  const timesS = new Float64Array(count);
  const valuesMv = new Float64Array(count);
  const at = (t: number) => {
    const position = t * fs;
    const i = Math.min(Math.floor(position), signal.length - 2);
    const fraction = position - i;
    return sign * (signal[i] + (signal[i + 1] - signal[i]) * fraction);
  };
  timesS[0] = startS;
  valuesMv[0] = at(startS);
  for (let k = 0; k < interiorCount; k++) {
    const i = firstInside + k;
    timesS[k + 1] = i / fs;
    valuesMv[k + 1] = sign * signal[i];
  }
  timesS[count - 1] = endS;
  valuesMv[count - 1] = at(endS);
  // Extent from the values actually drawn, both signs: a trace that swings negative is as tall as
  // one that swings positive (ecg-image-kit's users found its scaling used max instead of max-abs).
  let minMv = Infinity;
  let maxMv = -Infinity;
  for (let k = 0; k < count; k++) {
    const v = valuesMv[k];
    if (v < minMv) minMv = v;
    if (v > maxMv) maxMv = v;
  }
  return { timesS, valuesMv, count, minMv, maxMv };
}
