import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, type LeadwiseModel } from '../architectures/model-factory.ts';
import { parseModelConfig } from '../config.ts';
import { BACKBONES, type Backbone } from '../architectures/architecture-registry.ts';
import { BOX_COUNT, GROUP_COUNT } from '../constants.ts';
import { standardLayoutLeadBoxes } from '../testing.ts';
import { createRandom } from '@leadwise/ecg';
import { predictHostBatch } from '../training/predict.ts';
import { onnx } from './onnx-graph-builder.ts';
import { OnnxEngine } from './onnx-engine.ts';
import { exportOnnx } from './onnx-export.ts';
import { METADATA_KEYS, readOnnxModelInfo } from './onnx-metadata.ts';
import { findOnnxProblems, OnnxValidationError, validateOnnxModel } from './onnx-validate.ts';

const HEIGHT = 64;
const WIDTH = 96;
const BATCH = 3;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Fresh models have BN moving mean 0 / variance 1 and zero biases, which would let a mis-mapped BN
 * or bias pass unnoticed, and the residual LeadGroupECG head's output and group-score kernels start
 * at zero, which would hide its whole branch; give every such weight seeded non-trivial values
 * (variance and gamma in [0.5, 1.5], the others in [-0.2, 0.2]).
 */
function perturbStatistics(network: LeadwiseModel, seed: number): void {
  const random = createRandom(seed);
  for (const layer of network.model.layers) {
    if (layer.weights.length === 0) continue;
    const updated = layer.getWeights().map((value, i) => {
      const shortName = (layer.weights[i].originalName ?? layer.weights[i].name).split('/').pop() ?? '';
      const allZero = value.dataSync().every((v) => v === 0);
      if (!allZero && !['gamma', 'beta', 'moving_mean', 'moving_variance', 'bias'].includes(shortName)) return value.clone();
      const positive = shortName === 'gamma' || shortName === 'moving_variance';
      return tf.tensor(Float32Array.from({ length: value.size }, () => (positive ? 0.5 + random() : (random() - 0.5) * 0.4)), value.shape);
    });
    layer.setWeights(updated);
    tf.dispose(updated);
  }
}

/**
 * Deep backbones with perturbed statistics can put every test page at a logit of -50, where the
 * probabilities agree whatever the export does; shift and scale the classifier so the test batch's
 * logits centre on 0 within +-2 (a plain affine change of the last layer, exported like any other).
 */
function centreClassifier(network: LeadwiseModel): void {
  const classifier = network.model.getLayer('classifier');
  const logitModel = tf.model({ inputs: network.model.inputs, outputs: classifier.output as tf.SymbolicTensor });
  const { images } = testBatch(3);
  const logits = tf.tidy(() => Array.from((logitModel.predict(tf.tensor4d(images, [BATCH, HEIGHT, WIDTH, 1])) as tf.Tensor).dataSync()));
  const mean = logits.reduce((a, b) => a + b, 0) / logits.length;
  const scale = Math.max(1, Math.max(...logits.map((l) => Math.abs(l - mean))) / 2);
  const [kernel, bias] = classifier.getWeights();
  const centred = tf.tidy(() => [kernel.div(scale), bias.sub(mean).div(scale)]);
  classifier.setWeights(centred);
  tf.dispose(centred);
}

/** Sparse "ink" pages and lead boxes: jittered 3x4 layout, one box narrower than a feature cell. */
function testBatch(seed: number): { size: number; images: Float32Array; leadBoxes: Float32Array } {
  const random = createRandom(seed);
  const images = Float32Array.from({ length: BATCH * HEIGHT * WIDTH }, () => (random() < 0.15 ? random() : 0));
  const leadBoxes = new Float32Array(BATCH * BOX_COUNT * 4);
  for (let b = 0; b < BATCH; b += 1) {
    standardLayoutLeadBoxes().forEach(([x0, y0, x1, y1], lead) => {
      const jitter = (random() - 0.5) * 0.04;
      leadBoxes.set([x0 + jitter, y0, x1 + jitter, y1], (b * BOX_COUNT + lead) * 4);
    });
  }
  // Lead aVF in sample 0: 0.02 wide, well inside one of the 3 feature columns at stride 32.
  leadBoxes.set([0.4, 0.1, 0.42, 0.3], 5 * 4);
  return { size: BATCH, images, leadBoxes };
}

const exported = new Map<string, { network: LeadwiseModel; bytes: Uint8Array }>();

afterAll(() => {
  for (const { network } of exported.values()) network.model.dispose();
});

/** LeadGroupECG variants: the residual head (default, 13 boxes) and the paper head (12 boxes by default). */
const LEADGROUP_VARIANTS = {
  leadgroup: {},
  'leadgroup-residual-12-boxes': { rhythmStrip: false },
  'leadgroup-paper': { leadGroupHead: 'paper' },
  'leadgroup-paper-os16': { leadGroupHead: 'paper', outputStride: 16 },
  'leadgroup-paper-rhythm-strip': { leadGroupHead: 'paper', rhythmStrip: true },
} as const;
type Variant = Backbone | keyof typeof LEADGROUP_VARIANTS | 'vgg16-bn';
// Every backbone in the registry on its own, VGG16 with batch normalisation, and the LeadGroupECG variants.
const VARIANTS: Variant[] = [...BACKBONES, 'vgg16-bn', ...(Object.keys(LEADGROUP_VARIANTS) as (keyof typeof LEADGROUP_VARIANTS)[])];

function exportedModel(variant: Variant): { network: LeadwiseModel; bytes: Uint8Array } {
  let entry = exported.get(variant);
  if (!entry) {
    const leadGroup = variant in LEADGROUP_VARIANTS ? LEADGROUP_VARIANTS[variant as keyof typeof LEADGROUP_VARIANTS] : null;
    const network = createModel(
      parseModelConfig({
        architecture: leadGroup ? 'leadgroup' : variant === 'vgg16-bn' ? 'vgg16' : variant,
        inputHeight: HEIGHT,
        inputWidth: WIDTH,
        channels: 1,
        widthMultiplier: 0.25,
        seed: variant === 'vgg16-bn' ? 13 : 11,
        vggBatchNorm: variant === 'vgg16-bn',
        ...leadGroup,
      }),
    );
    perturbStatistics(network, 5);
    if (!leadGroup) centreClassifier(network);
    entry = { network, bytes: exportOnnx(network, { trainingRunId: 42, gridStyle: 'none' }) };
    exported.set(variant, entry);
  }
  return entry;
}

describe('exportOnnx + OnnxEngine', () => {
  // Reference: the same tfjs model's inference output (cpu backend) on the same host buffers.
  it.each(VARIANTS)('%s: onnxruntime-node output equals tfjs to 1e-4 and the file is structurally valid', async (variant) => {
    const { network, bytes } = exportedModel(variant);
    expect(findOnnxProblems(bytes)).toEqual([]);
    const batch = testBatch(3);
    const expected = predictHostBatch(network, batch);
    // The comparison only means something if the outputs are not saturated to one value.
    expect(Math.max(...expected.probabilities) - Math.min(...expected.probabilities)).toBeGreaterThan(1e-3);

    const engine = await OnnxEngine.load(bytes, { intraOpThreads: 1 });
    try {
      const actual = await engine.predictBatch(batch);
      expect(actual.probabilities).toHaveLength(BATCH);
      const maxAbs = (a: Float32Array, b: Float32Array): number => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
      expect(maxAbs(actual.probabilities, expected.probabilities)).toBeLessThan(1e-4);
      if (network.hasGroupAttention) {
        expect(actual.groupAttention).toHaveLength(BATCH * GROUP_COUNT);
        expect(maxAbs(actual.groupAttention!, expected.groupAttention!)).toBeLessThan(1e-4);
        // Uniform attention (the residual head at initialisation) would compare nothing.
        expect(Math.max(...expected.groupAttention!) - Math.min(...expected.groupAttention!)).toBeGreaterThan(1e-3);
      } else {
        expect(actual.groupAttention).toBeNull();
      }
    } finally {
      await engine.release();
    }
  });

  it('documents inputs, outputs and provenance in the metadata, and leaves no tensors behind', () => {
    const { network, bytes } = exportedModel('leadgroup');
    const tensorsBefore = tf.memory().numTensors;
    exportOnnx(network);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    const info = readOnnxModelInfo(bytes);
    expect(info.inputNames).toEqual(['image', 'lead_boxes']);
    expect(info.outputNames).toEqual(['probability', 'group_attention']);
    expect(info.trainingRunId).toBe(42);
    expect(info.gridStyle).toBe('none');
    expect(info.modelConfig).toMatchObject({ architecture: 'leadgroup', backbone: 'resnet18', inputHeight: HEIGHT, inputWidth: WIDTH, channels: 1 });
    for (const key of [METADATA_KEYS.normalisation, METADATA_KEYS.leadBoxes, METADATA_KEYS.label, METADATA_KEYS.groups]) expect(info.metadata[key]).toBeTruthy();
    const graph = onnx.ModelProto.decode(bytes).graph!;
    const imageDims = graph.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(imageDims).toEqual(['batch', HEIGHT, WIDTH, 1]);
  });

  it('structural validation reports a dangling input, a short initializer and an old opset', () => {
    const { bytes } = exportedModel('resnet18');
    const model = onnx.ModelProto.decode(bytes);
    const graph = model.graph!;
    const droppedName = graph.initializer![0].name!;
    graph.initializer = graph.initializer!.slice(1);
    graph.initializer[0].rawData = graph.initializer[0].rawData!.subarray(4);
    model.opsetImport = [{ domain: '', version: 13 }];
    const broken = onnx.ModelProto.encode(model).finish();
    const problems = findOnnxProblems(broken);
    expect(problems).toContain('default-domain opset 13 is below 17');
    expect(problems.some((p) => p.includes(`input ${droppedName} is not defined before use`))).toBe(true);
    expect(problems.some((p) => p.startsWith(`initializer ${graph.initializer![0].name}:`))).toBe(true);
    expect(() => validateOnnxModel(broken, 'broken.onnx')).toThrow(OnnxValidationError);
  });
});
