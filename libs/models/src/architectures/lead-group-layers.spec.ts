import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupMembershipMatrix } from '../constants.ts';
import { GroupAggregation, LeadMaxPooling, LeadPooling, leadMaskValues } from './lead-group-layers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A 4x4 feature map, 2 channels: channel 0 is 5 in the top-left 2x2 cells, channel 1 is the cell's column. */
function featureMap(): tf.Tensor4D {
  const values: number[] = [];
  for (let row = 0; row < 4; row++) for (let col = 0; col < 4; col++) values.push(row < 2 && col < 2 ? 5 : 0, col);
  return tf.tensor4d(values, [1, 4, 4, 2]);
}

function pool(boxes: number[][]): number[][] {
  const padded = [...boxes, ...Array.from({ length: 12 - boxes.length }, () => [0, 0, 1, 1])];
  const layer = new LeadPooling({});
  const out = layer.apply([featureMap(), tf.tensor3d([padded], [1, 12, 4])]) as tf.Tensor;
  return (out.arraySync() as number[][][])[0].slice(0, boxes.length);
}

describe('LeadPooling', () => {
  // Expected values by hand: the area-weighted mean of the cells each box covers.
  it('averages the feature map inside each lead box', () => {
    const [inside, outside, straddling, whole] = pool([
      [0, 0, 0.5, 0.5], // exactly the constant block
      [0.5, 0.5, 1, 1], // the opposite quarter
      [0.25, 0, 0.75, 0.5], // columns 1-2 of rows 0-1: half in the block
      [0, 0, 1, 1],
    ]);
    expect(inside[0]).toBeCloseTo(5, 4);
    expect(inside[1]).toBeCloseTo(0.5, 4); // columns 0 and 1
    expect(outside[0]).toBeCloseTo(0, 5);
    expect(outside[1]).toBeCloseTo(2.5, 4); // columns 2 and 3
    expect(straddling[0]).toBeCloseTo(2.5, 4);
    expect(straddling[1]).toBeCloseTo(1.5, 4);
    expect(whole[0]).toBeCloseTo(5 / 4, 4);
  });

  it('weights partly covered cells by the covered fraction and pools boxes smaller than a cell', () => {
    // x from 0 to 0.375 covers column 0 fully and half of column 1: weights 1 and 0.5.
    const [partial, tiny] = pool([
      [0, 0, 0.375, 0.25],
      [0.8, 0.8, 0.85, 0.85],
    ]);
    expect(partial[1]).toBeCloseTo((0 * 1 + 1 * 0.5) / 1.5, 4);
    expect(tiny[1]).toBeCloseTo(3, 4);
  });
});

/** Max pooling of featureMap() over 12 boxes (the given ones, then whole-image padding). */
function maxPool(boxes: number[][], features = featureMap()): number[][] {
  const padded = [...boxes, ...Array.from({ length: 12 - boxes.length }, () => [0, 0, 1, 1])];
  const out = new LeadMaxPooling({}).apply([features, tf.tensor3d([padded], [1, 12, 4])]) as tf.Tensor;
  return (out.arraySync() as number[][][])[0].slice(0, boxes.length);
}

describe('LeadMaxPooling', () => {
  it('takes the max over the cells a box covers at all, partly covered ones included', () => {
    const [rightHalf, partial, tiny, outside] = maxPool([
      [0.5, 0, 1, 1], // columns 2-3
      [0, 0, 0.375, 0.25], // column 0 and half of column 1 in row 0
      [0.8, 0.8, 0.85, 0.85], // inside cell (3, 3)
      [1.2, 1.2, 1.5, 1.5], // beyond the image: covers no cell
    ]);
    expect(rightHalf).toEqual([0, 3]);
    expect(partial).toEqual([5, 1]);
    expect(tiny).toEqual([0, 3]);
    expect(outside.map(Math.abs)).toEqual([0, 0]); // -1e9 * 0 is -0
    // A box ending exactly on a cell edge does not cover the next cell.
    expect(maxPool([[0, 0, 0.25, 1]])[0][1]).toBe(0);
  });

  it('sends the gradient to the maximal covered cell only, summed over the boxes that share it', () => {
    const features = featureMap();
    const boxes = tf.tensor3d([[[0.5, 0, 1, 0.25], [0.75, 0, 1, 1], ...Array.from({ length: 10 }, () => [1.2, 1.2, 1.5, 1.5])]], [1, 12, 4]);
    const layer = new LeadMaxPooling({});
    const gradient = tf.grad((x: tf.Tensor) => (layer.apply([x, boxes]) as tf.Tensor).sum())(features);
    const perCell = (gradient.arraySync() as number[][][][])[0].map((row) => row.map((cell) => cell[1]));
    // Channel 1 (the column index) peaks in column 3: both boxes' max is cell (0, 3), the first in row order.
    expect(perCell).toEqual([
      [0, 0, 0, 2],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
  });
});

describe('GroupAggregation', () => {
  it('averages the leads of each anatomical group (inferior = II, III, aVF)', () => {
    // Lead i has feature value i + 1: I=1, II=2, III=3, aVR=4, aVL=5, aVF=6, V1=7 ... V6=12.
    const leadFeatures = tf.tensor3d(Array.from({ length: 12 }, (_, i) => i + 1), [1, 12, 1]);
    const layer = new GroupAggregation({ membership: groupMembershipMatrix(false) });
    const groups = ((layer.apply(leadFeatures) as tf.Tensor).arraySync() as number[][][])[0].map((g) => g[0]);
    expect(groups[0]).toBeCloseTo((2 + 3 + 6) / 3, 5); // inferior
    expect(groups[1]).toBeCloseTo((1 + 5 + 11 + 12) / 4, 5); // lateral I, aVL, V5, V6
    expect(groups[2]).toBeCloseTo((7 + 8) / 2, 5); // septal V1, V2
    expect(groups[3]).toBeCloseTo((9 + 10) / 2, 5); // anterior V3, V4
    expect(groups[4]).toBeCloseTo(4, 5); // aVR
  });
});

describe('GroupAggregation with the rhythm strip', () => {
  it('adds the rhythm strip (box 13, a lead II recording) to the inferior mean only', () => {
    // Boxes 1..12 as above, the rhythm strip = 20.
    const boxFeatures = tf.tensor3d([...Array.from({ length: 12 }, (_, i) => i + 1), 20], [1, 13, 1]);
    const layer = new GroupAggregation({ membership: groupMembershipMatrix(true) });
    const groups = ((layer.apply(boxFeatures) as tf.Tensor).arraySync() as number[][][])[0].map((g) => g[0]);
    expect(groups[0]).toBeCloseTo((2 + 3 + 6 + 20) / 4, 5);
    expect(groups[1]).toBeCloseTo((1 + 5 + 11 + 12) / 4, 5);
    expect(groups[4]).toBeCloseTo(4, 5);
  });
});

describe('leadMaskValues (the masks computed on the host)', () => {
  /** The graph form the ONNX export keeps (and the layers ran before): tfjs ops on the cpu backend. */
  function graphMasks(boxes: tf.Tensor3D, height: number, width: number): Float32Array {
    return tf.tidy(() => {
      const [x0, y0, x1, y1] = tf.split(boxes, 4, 2);
      const coverage = (lo: tf.Tensor, hi: tf.Tensor, cells: number): tf.Tensor => {
        const edges = tf.range(0, cells, 1, 'float32').div(cells).reshape([1, 1, cells]);
        const edgesEnd = tf.range(1, cells + 1, 1, 'float32').div(cells).reshape([1, 1, cells]);
        return tf.relu(tf.minimum(hi, edgesEnd).sub(tf.maximum(lo, edges))).mul(cells);
      };
      const ox = coverage(x0, x1, width);
      const oy = coverage(y0, y1, height);
      const mask = oy.expandDims(3).mul(ox.expandDims(2)).reshape([boxes.shape[0], boxes.shape[1], height * width]);
      return mask.div(mask.sum(2, true).add(1e-9)).dataSync() as Float32Array;
    });
  }

  it('equals the graph form on the cpu backend bit for bit: panels, partial cells, a box off the map, a sliver', () => {
    let state = 17;
    const random = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const rows: number[][] = [
      [0, 0, 0.25, 0.2],
      [0.25, 0.6, 1, 0.8],
      [0.41, 0.3, 0.43, 0.32],
      [1.2, 1.2, 1.5, 1.5],
      [0, 0, 1, 1],
    ];
    for (let i = 0; i < 27; i++) {
      const x0 = random() * 1.1 - 0.05;
      const y0 = random() * 1.1 - 0.05;
      rows.push([x0, y0, x0 + random() * 0.5, y0 + random() * 0.5]);
    }
    const boxes = tf.tensor3d(rows.flat(), [4, 8, 4]);
    for (const [h, w] of [
      [8, 10],
      [4, 5],
      [16, 20],
    ]) {
      const host = leadMaskValues(boxes.dataSync() as Float32Array, 4, 8, h, w);
      const graph = graphMasks(boxes, h, w);
      expect(Buffer.from(host.buffer).equals(Buffer.from(graph.buffer)), `${h}x${w}`).toBe(true);
    }
    boxes.dispose();
  });
});
