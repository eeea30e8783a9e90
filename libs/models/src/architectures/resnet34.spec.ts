import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../config.ts';
import { countTrainableParams, createModel } from './model-factory.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Output shapes, finite-difference gradients and ONNX parity are checked for every backbone in the
// registry by model-factory.spec.ts, gradient-check.spec.ts and onnx-export.spec.ts.
describe('ResNet34', () => {
  it("has torchvision's parameter count (RGB 224, width 1) and 16 BasicBlocks", () => {
    const { model } = createModel(parseModelConfig({ architecture: 'resnet34', inputHeight: 224, inputWidth: 224, channels: 3 }));
    // torchvision resnet34(): 21,797,672 parameters with fc 512 -> 1000; ours ends in one logit.
    expect(countTrainableParams(model)).toBe(21_797_672 - (512 * 1000 + 1000) + (512 + 1));
    const blocks = model.layers.filter((l) => /^layer\d_\d+_add$/.test(l.name)).map((l) => l.name.split('_')[0]);
    expect(['layer1', 'layer2', 'layer3', 'layer4'].map((stage) => blocks.filter((b) => b === stage).length)).toEqual([3, 4, 6, 3]);
    expect(model.outputs[0].shape).toEqual([null, 1]);
    model.dispose();
  });

  it('serves as a LeadGroupECG backbone, with output stride 16 doubling its last feature map', () => {
    const size = { architecture: 'leadgroup' as const, backbone: 'resnet34' as const, leadGroupHead: 'paper' as const, inputHeight: 128, inputWidth: 160, widthMultiplier: 0.125 };
    const stride32 = createModel(parseModelConfig(size));
    const stride16 = createModel(parseModelConfig({ ...size, outputStride: 16 }));
    const lastFeatures = (m: tf.LayersModel) => m.getLayer('lead_pooling').inboundNodes[0].inputTensors[0].shape;
    expect(lastFeatures(stride32.model)).toEqual([null, 4, 5, 64]);
    expect(lastFeatures(stride16.model)).toEqual([null, 8, 10, 64]);
    expect(countTrainableParams(stride16.model)).toBe(countTrainableParams(stride32.model));
    stride32.model.dispose();
    stride16.model.dispose();
  });
});
