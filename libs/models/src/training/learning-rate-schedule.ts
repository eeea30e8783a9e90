export interface WarmupCosineSchedule {
  peakLearningRate: number;
  totalSteps: number;
  warmupSteps: number;
  /** End of the decay as a fraction of the peak. */
  finalFraction: number;
}

/**
 * Learning rate at optimizer step `step` (0-based): linear warm-up from peak/warmupSteps to the peak,
 * then half a cosine down to peak * finalFraction at the last step (Loshchilov and Hutter 2017,
 * without restarts; Goyal et al. 2017 warm-up).
 */
export function learningRateAt(schedule: WarmupCosineSchedule, step: number): number {
  const { peakLearningRate, totalSteps, warmupSteps, finalFraction } = schedule;
  if (warmupSteps > 0 && step < warmupSteps) return (peakLearningRate * (step + 1)) / warmupSteps;
  const decaySteps = Math.max(1, totalSteps - warmupSteps - 1);
  const progress = Math.min(1, Math.max(0, (step - warmupSteps) / decaySteps));
  const floor = peakLearningRate * finalFraction;
  return floor + (peakLearningRate - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
