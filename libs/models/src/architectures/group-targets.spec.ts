import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../backend/select-backend.ts';
import { registerWasmTrainingKernels } from '../backend/wasm-kernels/register.ts';
import { parseModelConfig, parseTrainConfig } from '../config.ts';
import { BOX_COUNT, GROUP_COUNT, GROUP_TARGET_COUNT, OUTPUT_GROUP_TARGETS } from '../constants.ts';
import { OnnxEngine } from '../onnx/onnx-engine.ts';
import { exportOnnx } from '../onnx/onnx-export.ts';
import { readOnnxModelInfo } from '../onnx/onnx-metadata.ts';
import { standardLayoutLeadBoxes, SyntheticSampleSource } from '../testing.ts';
import { predictHostBatch } from '../training/predict.ts';
import { createRandom } from '@leadwise/ecg';
import { trainModel } from '../training/trainer.ts';
import type { Sample } from '../types.ts';
import { GroupTargetReadout } from './lead-group-layers.ts';
import { createModel, type LeadwiseModel } from './model-factory.ts';

/**
 * Auxiliary group targets (issue 13): LeadGroupECG reads one logit per localised group from that
 * group's vector alone; the baselines read the same four from their pooled features. The output is a
 * training signal only: it leaves every other weight as it was and never reaches an ONNX export.
 */

const SIZE = { inputHeight: 64, inputWidth: 80, channels: 1 as const, widthMultiplier: 0.125, dropout: 0 };
const BATCH = 3;

let scratch: string;
beforeAll(async () => {
  await initWasmBackend();
  await tf.setBackend('cpu');
  scratch = await mkdtemp(join(tmpdir(), 'leadwise-group-targets-'));
});
afterAll(async () => {
  await tf.setBackend('cpu');
  await rm(scratch, { recursive: true, force: true });
});

function testBatch(seed: number): { size: number; images: Float32Array; leadBoxes: Float32Array } {
  const random = createRandom(seed);
  const images = Float32Array.from({ length: BATCH * SIZE.inputHeight * SIZE.inputWidth }, () => (random() < 0.2 ? random() : 0));
  const leadBoxes = new Float32Array(BATCH * BOX_COUNT * 4);
  for (let b = 0; b < BATCH; b += 1) standardLayoutLeadBoxes().forEach((box, lead) => leadBoxes.set(box, (b * BOX_COUNT + lead) * 4));
  return { size: BATCH, images, leadBoxes };
}

function weightsByName(network: LeadwiseModel): Map<string, number[]> {
  return new Map(network.model.weights.map((w) => [w.originalName, Array.from(w.read().dataSync())]));
}

describe('GroupTargetReadout', () => {
  it('computes sigmoid(w_g . x_g + b_g) from each localised group vector alone (known answer)', () => {
    const layer = new GroupTargetReadout({ name: 'readout', targets: 2, seed: 1 });
    // Three groups of two channels; the third (like aVR) has no target and must not matter.
    const groups = tf.tensor3d([[[1, 2], [3, -1], [100, 100]]]);
    layer.apply(groups);
    layer.setWeights([tf.tensor2d([[0.5, -1], [2, 1]]), tf.tensor1d([0.25, -4])]);
    const out = layer.apply(groups) as tf.Tensor;
    // Group 0: 0.5*1 - 1*2 + 0.25 = -1.25; group 1: 2*3 + 1*(-1) - 4 = 1.
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    const values = Array.from(out.dataSync());
    expect(out.shape).toEqual([1, 2]);
    expect(values[0]).toBeCloseTo(sigmoid(-1.25), 6);
    expect(values[1]).toBeCloseTo(sigmoid(1), 6);
    tf.dispose([groups, out]);
  });
});

describe.each([
  ['leadgroup', { architecture: 'leadgroup' }],
  ['leadgroup (paper head)', { architecture: 'leadgroup', leadGroupHead: 'paper' }],
  ['resnet18', { architecture: 'resnet18' }],
  ['vgg16', { architecture: 'vgg16', vggBatchNorm: true }],
] as const)('%s with group targets', (_, variant) => {
  it('adds a last output [B,4] and leaves every other weight as the same seed gives without it', () => {
    const plain = createModel(parseModelConfig({ ...variant, ...SIZE, seed: 4 }));
    const targeted = createModel(parseModelConfig({ ...variant, ...SIZE, seed: 4, groupTargets: true }));
    expect(targeted.hasGroupTargets).toBe(true);
    expect(plain.hasGroupTargets).toBe(false);
    const before = weightsByName(plain);
    const after = weightsByName(targeted);
    for (const [name, values] of before) expect(after.get(name), name).toEqual(values);
    const extra = [...after.keys()].filter((name) => !before.has(name));
    expect(extra.length).toBe(2);
    for (const name of extra) expect(name.startsWith(OUTPUT_GROUP_TARGETS)).toBe(true);

    const batch = testBatch(2);
    const inputs: tf.Tensor[] = [tf.tensor4d(batch.images, [BATCH, SIZE.inputHeight, SIZE.inputWidth, 1])];
    if (targeted.usesLeadBoxes) inputs.push(tf.tensor3d(batch.leadBoxes.slice(0, BATCH * targeted.leadBoxCount * 4), [BATCH, targeted.leadBoxCount, 4]));
    const outputs = targeted.model.predict(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor[];
    const targets = outputs[outputs.length - 1];
    expect(targets.shape).toEqual([BATCH, GROUP_TARGET_COUNT]);
    for (const p of targets.dataSync()) expect(p > 0 && p < 1).toBe(true);
    tf.dispose([...inputs, ...outputs]);
    plain.model.dispose();
    targeted.model.dispose();
  });
});

describe('group targets on the wasm backend', () => {
  async function readoutGradients(backendName: 'cpu' | 'wasm'): Promise<Float32Array[]> {
    await tf.setBackend(backendName);
    if (backendName === 'wasm') registerWasmTrainingKernels();
    expect(tf.getBackend()).toBe(backendName);
    const network = createModel(parseModelConfig({ architecture: 'leadgroup', ...SIZE, seed: 5, groupTargets: true }));
    const batch = testBatch(6);
    const image = tf.tensor4d(batch.images, [BATCH, SIZE.inputHeight, SIZE.inputWidth, 1]);
    const boxes = tf.tensor3d(batch.leadBoxes, [BATCH, BOX_COUNT, 4]);
    const targets = tf.tensor2d([1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1], [BATCH, GROUP_TARGET_COUNT]);
    const { value, grads } = tf.variableGrads(() => {
      const outputs = network.model.apply([image, boxes], { training: true }) as tf.Tensor[];
      const p = outputs[2].clipByValue(1e-7, 1 - 1e-7);
      return targets.mul(p.log()).add(tf.scalar(1).sub(targets).mul(tf.scalar(1).sub(p).log())).neg().mean() as tf.Scalar;
    });
    // The targets reach back through the lead tokens into the backbone.
    const names = network.model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
    const picked = [names.find((n) => n.includes(OUTPUT_GROUP_TARGETS))!, names.find((n) => n.includes('lead_projection'))!, names[0]];
    const out = picked.map((name) => Float32Array.from(grads[name].dataSync()));
    tf.dispose([value, image, boxes, targets, ...Object.values(grads)]);
    network.model.dispose();
    return out;
  }

  it('gives the gradients the cpu backend gives, down to the first convolution', async () => {
    const expected = await readoutGradients('cpu');
    const actual = await readoutGradients('wasm');
    await tf.setBackend('cpu');
    expected.forEach((cpu, k) => {
      const scale = Math.max(...Array.from(cpu, Math.abs));
      expect(scale).toBeGreaterThan(0);
      const worst = Math.max(...Array.from(cpu, (v, i) => Math.abs(v - actual[k][i])));
      expect(worst / scale).toBeLessThan(1e-3);
    });
  });
});

describe('ONNX export of a model with group targets', () => {
  it.each(['leadgroup', 'resnet18'] as const)('%s: leaves the targets out and matches tfjs', async (architecture) => {
    const network = createModel(parseModelConfig({ architecture, ...SIZE, seed: 8, groupTargets: true }));
    const bytes = exportOnnx(network);
    const info = readOnnxModelInfo(bytes);
    expect(info.outputNames).toEqual(architecture === 'leadgroup' ? ['probability', 'group_attention'] : ['probability']);
    const batch = testBatch(9);
    const expected = predictHostBatch(network, batch);
    const engine = await OnnxEngine.load(bytes, { intraOpThreads: 1 });
    try {
      const actual = await engine.predictBatch(batch);
      const worst = Math.max(...Array.from(actual.probabilities, (v, i) => Math.abs(v - expected.probabilities[i])));
      expect(worst).toBeLessThan(1e-4);
      if (architecture === 'leadgroup') expect(actual.groupAttention).toHaveLength(BATCH * GROUP_COUNT);
    } finally {
      await engine.release();
      network.model.dispose();
    }
  });
});

/** The synthetic task, with group targets: abnormal samples (ink in lead II's box) are "inferior". */
class TargetedSource extends SyntheticSampleSource {
  override async sample(index: number, augmentationSeed: number | null): Promise<Sample> {
    const sample = await super.sample(index, augmentationSeed);
    return { ...sample, groupTargets: [sample.label, 0, index % 3 === 0 ? 1 : 0, 0] };
  }
}

describe('trainModel with group targets', () => {
  const modelConfig = parseModelConfig({ architecture: 'leadgroup', inputHeight: 32, inputWidth: 32, widthMultiplier: 0.0625, seed: 3, groupTargets: true });

  it('trains the targets with the main label and leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const result = await trainModel({
      modelConfig,
      trainConfig: parseTrainConfig({ epochs: 1, batchSize: 4, seed: 1 }),
      train: new TargetedSource(8, 32, 32),
      validation: new TargetedSource(6, 32, 32, 2),
      checkpointDir: join(scratch, 'targets'),
    });
    expect(Number.isFinite(result.history[0].trainLoss)).toBe(true);
    // The best checkpoint keeps the readout's trained weights.
    const readout = result.network.model.getLayer(OUTPUT_GROUP_TARGETS).getWeights()[1];
    expect(Array.from(readout.dataSync()).some((v) => v !== 0)).toBe(true);
    result.network.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses samples without targets, naming the batch', async () => {
    await expect(
      trainModel({
        modelConfig,
        trainConfig: parseTrainConfig({ epochs: 1, batchSize: 4, seed: 1 }),
        train: new SyntheticSampleSource(8, 32, 32),
        validation: new SyntheticSampleSource(6, 32, 32, 2),
        checkpointDir: join(scratch, 'missing'),
      }),
    ).rejects.toThrow(/batch 1 of epoch 1 has samples without them/);
  });
});
