import { BOX_COUNT, LEAD_COUNT, RHYTHM_BOX } from '@leadwise/models';

/**
 * Lead boxes for a batch of `batch` pages of the standard 3x4 layout: twelve panels, then the
 * rhythm strip below them, as the renderer draws them ([batch * BOX_COUNT * 4], x0 y0 x1 y1 in [0, 1]).
 * Shared by the training benchmarks.
 */
export function standardLayoutBoxes(batch: number): Float32Array {
  const page = new Float32Array(BOX_COUNT * 4);
  for (let lead = 0; lead < LEAD_COUNT; lead++) {
    const column = Math.floor(lead / 3);
    const row = lead % 3;
    page.set([column * 0.25, row * 0.2, (column + 1) * 0.25, (row + 1) * 0.2], lead * 4);
  }
  page.set([0, 0.6, 1, 0.8], RHYTHM_BOX * 4);
  const boxes = new Float32Array(batch * BOX_COUNT * 4);
  for (let b = 0; b < batch; b++) boxes.set(page, b * BOX_COUNT * 4);
  return boxes;
}
