import { LEAD_COUNT } from './constants.ts';
import type { LeadBox, Sample, SampleSource } from './types.ts';
import { createRandom, mixSeed } from '@leadwise/ecg';

/**
 * Boxes of the standard 3x4 layout (columns of three leads, in LEAD_NAMES order) over the top 75%,
 * then the rhythm strip over the bottom 25% (13 boxes, as RecordSampleSource gives them).
 */
export function standardLayoutLeadBoxes(): LeadBox[] {
  const panels = Array.from({ length: LEAD_COUNT }, (_, lead): LeadBox => {
    const column = Math.floor(lead / 3);
    const row = lead % 3;
    return [column * 0.25, row * 0.25, (column + 1) * 0.25, (row + 1) * 0.25];
  });
  return [...panels, [0, 0.75, 1, 1]];
}

/**
 * A learnable synthetic task for tests: noise pages where abnormal samples carry extra ink inside
 * lead II's box. Deterministic in (seed, index, augmentation seed).
 */
export class SyntheticSampleSource implements SampleSource {
  readonly channels = 1 as const;

  constructor(
    readonly size: number,
    readonly inputHeight: number,
    readonly inputWidth: number,
    private readonly seed = 1,
  ) {}

  labels(): Uint8Array {
    return Uint8Array.from({ length: this.size }, (_, i) => i % 2);
  }

  async sample(index: number, augmentationSeed: number | null): Promise<Sample> {
    const label = (index % 2) as 0 | 1;
    const random = createRandom(mixSeed(this.seed, index, augmentationSeed ?? 0));
    const pixels = new Float32Array(this.inputHeight * this.inputWidth);
    for (let i = 0; i < pixels.length; i++) pixels[i] = random() * 0.2;
    const leadBoxes = standardLayoutLeadBoxes();
    if (label === 1) {
      const [x0, y0, x1, y1] = leadBoxes[1];
      for (let row = Math.floor(y0 * this.inputHeight); row < Math.floor(y1 * this.inputHeight); row++) {
        for (let col = Math.floor(x0 * this.inputWidth); col < Math.floor(x1 * this.inputWidth); col++) {
          pixels[row * this.inputWidth + col] += 0.6;
        }
      }
    }
    return { pixels, label, leadBoxes };
  }
}
