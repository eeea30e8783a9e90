import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, type LeadwiseModel } from '../architectures/model-factory.ts';
import { parseModelConfig } from '../config.ts';
import { standardLayoutLeadBoxes } from '../testing.ts';
import { BACKBONES, type Architecture } from '../architectures/architecture-registry.ts';
import type { LeadGroupHead } from '../constants.ts';
import { createRandom } from '@leadwise/ecg';
import { weightedBinaryCrossEntropy } from './weighted-loss.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Central finite differences of the loss against the analytic gradient tf computes, for the two
 * largest-gradient entries of the first conv kernel, a mid-network weight and the classifier.
 * BN runs in inference mode (an affine map of its moving statistics): in training mode, on an input
 * this small, the last stage normalises over a handful of values and the loss is too curved for any
 * float32 step to agree (checked: the stem's gradient was -83 analytic vs -57 numeric at step 1e-3).
 * A step of 1e-3 keeps ReLU kinks and float32 rounding both below about 1% here.
 */
describe('gradients match finite differences', () => {
  // Every backbone in the registry on its own, then LeadGroupECG with each head.
  const variants: { architecture: Architecture; leadGroupHead?: LeadGroupHead }[] = [
    ...BACKBONES.map((architecture) => ({ architecture })),
    { architecture: 'leadgroup', leadGroupHead: 'paper' },
    { architecture: 'leadgroup', leadGroupHead: 'residual' },
  ];
  for (const variant of variants) {
    it(`${variant.architecture}${variant.leadGroupHead ? ` (${variant.leadGroupHead} head)` : ''}`, () => {
      const network = createModel(parseModelConfig({ ...variant, inputHeight: 32, inputWidth: 32, widthMultiplier: 0.0625, dropout: 0, seed: 5 }));
      const trainable = network.model.trainableWeights;
      expect(checkGradients(network, [trainable[0], trainable[Math.floor(trainable.length / 2)], trainable[trainable.length - 2]])).toBe(6);
      network.model.dispose();
    });
  }

  it('leadgroup (residual head): every stage of the lead-group branch', () => {
    const network = createModel(parseModelConfig({ architecture: 'leadgroup', inputHeight: 32, inputWidth: 32, widthMultiplier: 0.0625, dropout: 0, seed: 5 }));
    // Its output and group-score layers start at zero, which would leave the rest with no gradient.
    const random = createRandom(3);
    for (const name of ['lead_group_classifier', 'group_attention_scores']) {
      const layer = network.model.getLayer(name);
      const values = layer.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => random() - 0.5), w.shape));
      layer.setWeights(values);
      tf.dispose(values);
    }
    const named = (name: string) => network.model.trainableWeights.find((w) => w.originalName === name)!;
    const picks = ['lead_projection/kernel', 'lead_embedding/embedding', 'lead_self_attention/qkv_kernel', 'lead_self_attention/gamma', 'group_attention_scores/kernel'].map(named);
    expect(checkGradients(network, picks)).toBe(2 * picks.length);
    network.model.dispose();
  });
});

/** Compares analytic and central-difference gradients of the two largest-gradient entries of each weight; returns how many were checked. */
function checkGradients(network: LeadwiseModel, picks: tf.LayerVariable[]): number {
  const image = tf.randomUniform([3, 32, 32, 1], 0, 1, 'float32', 9);
  const boxCount = Math.max(network.leadBoxCount, 1);
  const boxes = tf.tensor3d(Array.from({ length: 3 }, () => standardLayoutLeadBoxes().slice(0, boxCount).flat()).flat(), [3, boxCount, 4]);
  const labels = tf.tensor2d([0, 1, 1], [3, 1]);
  const weights = tf.ones([3, 1]);
  const inputs = network.usesLeadBoxes ? [image, boxes] : image;
  const loss = (): tf.Scalar => {
    const out = network.model.apply(inputs, { training: false }) as tf.Tensor | tf.Tensor[];
    return weightedBinaryCrossEntropy(Array.isArray(out) ? out[0] : out, labels, weights);
  };
  const variables = picks.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(loss, variables);
  const epsilon = 1e-3;
  let checked = 0;
  for (const variable of variables) {
    const analytic = grads[variable.name].dataSync();
    const values = variable.dataSync().slice();
    // The entry with the largest analytic gradient (well above float32 noise) and one more.
    const order = Array.from(analytic.keys()).sort((a, b) => Math.abs(analytic[b]) - Math.abs(analytic[a]));
    for (const index of order.slice(0, 2)) {
      const at = (delta: number): number => {
        const shifted = values.slice();
        shifted[index] += delta;
        variable.assign(tf.tensor(shifted, variable.shape));
        return tf.tidy(() => loss().dataSync()[0]);
      };
      const numeric = (at(epsilon) - at(-epsilon)) / (2 * epsilon);
      variable.assign(tf.tensor(values, variable.shape));
      const scale = Math.max(Math.abs(numeric), Math.abs(analytic[index]), 1e-3);
      expect(Math.abs(numeric - analytic[index]) / scale, `${variable.name}[${index}]`).toBeLessThan(0.05);
      checked++;
    }
  }
  tf.dispose([image, boxes, labels, weights, ...Object.values(grads)]);
  return checked;
}
