import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../backend/select-backend.ts';
import { registerWasmTrainingKernels } from '../backend/wasm-kernels/register.ts';
import { parseModelConfig } from '../config.ts';
import { BOX_COUNT, GROUP_COUNT } from '../constants.ts';
import { standardLayoutLeadBoxes } from '../testing.ts';
import { createRandom } from '@leadwise/ecg';
import { weightedBinaryCrossEntropy } from '../training/weighted-loss.ts';
import type { ModelConfig } from '../types.ts';
import { countTrainableParams, createModel, type LeadwiseModel } from './model-factory.ts';

/**
 * The residual LeadGroupECG head (issue 13): it must start as exactly its backbone, start its
 * group attention uniform, and train on the wasm backend (every op it adds has a wasm kernel and a
 * gradient there) with the gradients the cpu backend computes.
 */

const SIZE = { inputHeight: 64, inputWidth: 80, channels: 1 as const, widthMultiplier: 0.125, dropout: 0 };
const BATCH = 3;

beforeAll(async () => {
  await initWasmBackend();
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

function inputs(seed: number): { image: tf.Tensor4D; boxes: tf.Tensor3D } {
  const random = createRandom(seed);
  const image = tf.tensor4d(
    Float32Array.from({ length: BATCH * SIZE.inputHeight * SIZE.inputWidth }, () => (random() < 0.2 ? random() : 0)),
    [BATCH, SIZE.inputHeight, SIZE.inputWidth, 1],
  );
  const boxes = Array.from({ length: BATCH }, () =>
    standardLayoutLeadBoxes().map(([x0, y0, x1, y1]) => {
      const jitter = (random() - 0.5) * 0.04;
      return [x0 + jitter, y0, x1 + jitter, y1];
    }),
  );
  return { image, boxes: tf.tensor3d(boxes.flat(2), [BATCH, BOX_COUNT, 4]) };
}

/** Gives the zero-initialised layers random weights, so that gradients reach every branch weight. */
function wakeBranch(network: LeadwiseModel, seed: number): void {
  const random = createRandom(seed);
  for (const name of ['lead_group_classifier', 'group_attention_scores']) {
    const layer = network.model.getLayer(name);
    const values = layer.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => (random() - 0.5) * 0.5), w.shape));
    layer.setWeights(values);
    tf.dispose(values);
  }
}

function residualConfig(seed: number): ModelConfig {
  return parseModelConfig({ architecture: 'leadgroup', ...SIZE, seed });
}

describe('residual LeadGroupECG head at initialisation', () => {
  it('predicts exactly what the same-seed ResNet18 predicts: the branch adds 0', () => {
    const network = createModel(residualConfig(7));
    const backbone = createModel(parseModelConfig({ architecture: 'resnet18', ...SIZE, seed: 7 }));
    const { image, boxes } = inputs(1);
    const [probability, attention] = network.model.predict([image, boxes]) as tf.Tensor[];
    const expected = backbone.model.predict(image) as tf.Tensor;
    expect(Array.from(probability.dataSync())).toEqual(Array.from(expected.dataSync()));
    // Not a saturated output that would hide a difference.
    const values = Array.from(expected.dataSync());
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(1e-4);
    expect(attention.shape).toEqual([BATCH, GROUP_COUNT]);
    for (const weight of attention.dataSync()) expect(weight).toBeCloseTo(1 / GROUP_COUNT, 6);
    tf.dispose([image, boxes, probability, attention, expected]);
    network.model.dispose();
    backbone.model.dispose();
  });

  it('pools 13 boxes by default and keeps the branch small (ResNet18 width 0.25 at 128x160)', () => {
    const size = { inputHeight: 128, inputWidth: 160, widthMultiplier: 0.25, seed: 1 };
    const network = createModel(parseModelConfig({ architecture: 'leadgroup', ...size }));
    const backbone = createModel(parseModelConfig({ architecture: 'resnet18', ...size }));
    expect(network.config).toMatchObject({ leadGroupHead: 'residual', rhythmStrip: true });
    expect(network.leadBoxCount).toBe(13);
    // Pools layer3's stride-16 map: 8x10 cells of 64 channels.
    expect(network.model.getLayer('lead_max_pooling').inboundNodes[0].inputTensors[0].shape).toEqual([null, 8, 10, 64]);
    // Branch: projection 128*64+64, embedding 13*64, LayerNorm 2*64, qkv 64*192+192, output 64*64+64,
    // group scores 64+1, classifier 5*64+64+1.
    const branch = 128 * 64 + 64 + 13 * 64 + 2 * 64 + (64 * 192 + 192) + (64 * 64 + 64) + 65 + (5 * 64 + 64 + 1);
    expect(countTrainableParams(network.model)).toBe(countTrainableParams(backbone.model) + branch);
    network.model.dispose();
    backbone.model.dispose();
  });
});

describe('residual LeadGroupECG head after its weights move', () => {
  it('keeps group attention a distribution over the five groups, and the same seed gives the same weights', () => {
    const network = createModel(residualConfig(3));
    const again = createModel(residualConfig(3));
    const weights = (n: LeadwiseModel) => n.model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(weights(again)).toEqual(weights(network));
    wakeBranch(network, 2);
    const { image, boxes } = inputs(4);
    const [, attention] = network.model.predict([image, boxes]) as tf.Tensor[];
    const rows = attention.arraySync() as number[][];
    for (const row of rows) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // No longer uniform: the attention scores now depend on the groups.
    expect(Math.max(...rows.flat()) - Math.min(...rows.flat())).toBeGreaterThan(1e-3);
    tf.dispose([image, boxes, attention]);
    network.model.dispose();
    again.model.dispose();
  });
});

describe('residual LeadGroupECG head on the wasm backend', () => {
  async function gradientsOn(backendName: 'cpu' | 'wasm'): Promise<Map<string, Float32Array>> {
    await tf.setBackend(backendName);
    if (backendName === 'wasm') registerWasmTrainingKernels();
    expect(tf.getBackend()).toBe(backendName);
    const network = createModel(residualConfig(5));
    wakeBranch(network, 6);
    const { image, boxes } = inputs(8);
    const labels = tf.tensor2d([0, 1, 1], [BATCH, 1]);
    const sampleWeights = tf.ones([BATCH, 1]);
    const { value, grads } = tf.variableGrads(() => {
      const [probability] = network.model.apply([image, boxes], { training: true }) as tf.Tensor[];
      return weightedBinaryCrossEntropy(probability, labels, sampleWeights);
    });
    const byWeight = new Map(network.model.trainableWeights.map((w) => [w.originalName, grads[(w.read() as tf.Variable).name].dataSync() as Float32Array]));
    tf.dispose([value, image, boxes, labels, sampleWeights, ...Object.values(grads)]);
    network.model.dispose();
    return byWeight;
  }

  it('computes the gradients the cpu backend computes, for every weight of the branch', async () => {
    const expected = await gradientsOn('cpu');
    const actual = await gradientsOn('wasm');
    await tf.setBackend('cpu');
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    const branchWeights = [...expected.keys()].filter((name) => /^(lead_|group_)/.test(name));
    expect(branchWeights.length).toBe(13);
    for (const [name, cpu] of expected) {
      const wasm = actual.get(name)!;
      const scale = Math.max(1e-3, ...Array.from(cpu, Math.abs));
      // Every branch weight gets a gradient once its output layer is non-zero.
      if (branchWeights.includes(name)) expect(Math.max(...Array.from(cpu, Math.abs)), name).toBeGreaterThan(0);
      const worst = Math.max(...Array.from(cpu, (v, i) => Math.abs(v - wasm[i])));
      expect(worst / scale, name).toBeLessThan(1e-3);
    }
  });

  it('leaks no tensors across training steps and inference batches', async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
    expect(tf.getBackend()).toBe('wasm');
    const network = createModel(parseModelConfig({ architecture: 'leadgroup', ...SIZE, dropout: 0.2, seed: 9 }));
    const optimizer = tf.train.adam(1e-3);
    const { image, boxes } = inputs(10);
    const labels = tf.tensor2d([0, 1, 1], [BATCH, 1]);
    const sampleWeights = tf.ones([BATCH, 1]);
    const step = (): void => {
      const cost = optimizer.minimize(() => {
        const [probability] = network.model.apply([image, boxes], { training: true }) as tf.Tensor[];
        return weightedBinaryCrossEntropy(probability, labels, sampleWeights);
      }, true);
      cost?.dispose();
      tf.tidy(() => (network.model.predict([image, boxes]) as tf.Tensor[]).map((t) => t.dataSync()));
    };
    step(); // creates Adam's slots
    const tensors = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(tensors);
    // After two updates the branch is live: its output layer has moved off zero.
    const branchKernel = network.model.getLayer('lead_group_classifier').getWeights()[0];
    expect(Math.max(...Array.from(branchKernel.dataSync(), Math.abs))).toBeGreaterThan(0);
    tf.dispose([image, boxes, labels, sampleWeights]);
    optimizer.dispose();
    network.model.dispose();
    await tf.setBackend('cpu');
  });
});
