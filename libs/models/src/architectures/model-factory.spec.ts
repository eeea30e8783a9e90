import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../config.ts';
import { BACKBONES } from './architecture-registry.ts';
import { countTrainableParams, createModel } from './model-factory.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Parameter counts against torchvision (models.resnet18(), densenet121(), vgg16(); sum of
 * p.numel() over parameters(), i.e. without BN running statistics), with the 1000-way classifier
 * replaced by our single logit: count - (features * 1000 + 1000) + (features + 1).
 */
describe('architecture factories', () => {
  it('builds ResNet18 (RGB 224, width 1) with torchvision\'s parameter count', () => {
    const { model } = createModel(parseModelConfig({ architecture: 'resnet18', inputHeight: 224, inputWidth: 224, channels: 3 }));
    // torchvision resnet18: 11,689,512 with fc 512 -> 1000.
    expect(countTrainableParams(model)).toBe(11_689_512 - (512 * 1000 + 1000) + (512 + 1));
    expect(model.outputs[0].shape).toEqual([null, 1]);
    model.dispose();
  });

  it('builds DenseNet121 with torchvision\'s parameter count (blocks 6/12/24/16, growth 32)', () => {
    const { model } = createModel(parseModelConfig({ architecture: 'densenet121', inputHeight: 64, inputWidth: 64, channels: 3 }));
    // torchvision densenet121: 7,978,856 with classifier 1024 -> 1000.
    expect(countTrainableParams(model)).toBe(7_978_856 - (1024 * 1000 + 1000) + (1024 + 1));
    model.dispose();
  });

  it('builds VGG16 with 13 conv layers and torchvision\'s feature parameter count', () => {
    const { model } = createModel(parseModelConfig({ architecture: 'vgg16', inputHeight: 32, inputWidth: 32, channels: 3 }));
    const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D');
    expect(convs).toHaveLength(13);
    const convParams = convs.reduce((sum, l) => sum + l.countParams(), 0);
    // torchvision vgg16().features: 14,714,688 parameters.
    expect(convParams).toBe(14_714_688);
    // At 32x32 the flattened features are 1x1x512: FC 512->4096, 4096->4096, 4096->1.
    expect(countTrainableParams(model)).toBe(14_714_688 + (512 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 + 1));
    model.dispose();
  });

  it('gives each architecture a probability per image on grayscale input of any size, and LeadGroupECG five attention weights', () => {
    const size = { inputHeight: 40, inputWidth: 72, channels: 1 as const, widthMultiplier: 0.125 };
    // Every backbone in the registry on its own, then LeadGroupECG with each head.
    const variants = [
      ...BACKBONES.map((architecture) => ({ architecture })),
      { architecture: 'leadgroup', leadGroupHead: 'residual' },
      { architecture: 'leadgroup', leadGroupHead: 'paper' },
    ] as const;
    for (const variant of variants) {
      const network = createModel(parseModelConfig({ ...variant, ...size }));
      const boxCount = network.leadBoxCount;
      const image = tf.randomUniform([2, 40, 72, 1], 0, 1, 'float32', 3);
      const boxes = tf.tensor3d(Array.from({ length: 2 * boxCount }, (_, i) => [0.25 * (i % 4), 0, 0.25 * (i % 4) + 0.25, 0.5]).flat(), [2, boxCount, 4]);
      const outputs = network.model.predict(network.usesLeadBoxes ? [image, boxes] : image) as tf.Tensor | tf.Tensor[];
      const list = Array.isArray(outputs) ? outputs : [outputs];
      expect(list[0].shape).toEqual([2, 1]);
      for (const p of list[0].dataSync()) expect(p > 0 && p < 1).toBe(true);
      if (variant.architecture === 'leadgroup') {
        expect(list[1].shape).toEqual([2, 5]);
        const weights = list[1].arraySync() as number[][];
        for (const row of weights) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      tf.dispose([image, boxes, ...list]);
      network.model.dispose();
    }
  });

  it('builds LeadGroupECG on each backbone with either head; the residual head pools 13 boxes by default, the paper head 12', () => {
    for (const backbone of BACKBONES) {
      for (const [leadGroupHead, boxes] of [
        ['residual', 13],
        ['paper', 12],
      ] as const) {
        const network = createModel(parseModelConfig({ architecture: 'leadgroup', backbone, leadGroupHead, inputHeight: 64, inputWidth: 64, widthMultiplier: 0.125 }));
        expect(network.model.inputs.map((i) => i.shape)).toEqual([
          [null, 64, 64, 1],
          [null, boxes, 4],
        ]);
        expect(network.leadBoxCount).toBe(boxes);
        network.model.dispose();
      }
    }
    // The paper head with the rhythm strip: a 13th box, counted in the inferior group.
    const rhythm = createModel(
      parseModelConfig({ architecture: 'leadgroup', leadGroupHead: 'paper', inputHeight: 64, inputWidth: 64, widthMultiplier: 0.125, rhythmStrip: true }),
    );
    expect(rhythm.model.inputs[1].shape).toEqual([null, 13, 4]);
    expect(rhythm.leadBoxCount).toBe(13);
    rhythm.model.dispose();
    const residualPanelsOnly = parseModelConfig({ architecture: 'leadgroup', inputHeight: 64, inputWidth: 64, rhythmStrip: false });
    expect(residualPanelsOnly).toMatchObject({ leadGroupHead: 'residual', rhythmStrip: false });
  });

  it('with output stride 16 keeps ResNet18\'s weights and doubles the last feature map for lead pooling', () => {
    const size = { architecture: 'leadgroup' as const, leadGroupHead: 'paper' as const, inputHeight: 128, inputWidth: 160, widthMultiplier: 0.125 };
    const stride32 = createModel(parseModelConfig(size));
    const stride16 = createModel(parseModelConfig({ ...size, outputStride: 16 }));
    const lastFeatures = (m: tf.LayersModel) => m.getLayer('lead_pooling').inboundNodes[0].inputTensors[0].shape;
    expect(lastFeatures(stride32.model)).toEqual([null, 4, 5, 64]);
    expect(lastFeatures(stride16.model)).toEqual([null, 8, 10, 64]);
    expect(countTrainableParams(stride16.model)).toBe(countTrainableParams(stride32.model));
    stride32.model.dispose();
    stride16.model.dispose();
    // The residual head pools layer3's output (stride 16) whatever the last stage's stride.
    const residual = createModel(parseModelConfig({ ...size, leadGroupHead: 'residual', outputStride: 16 }));
    expect(residual.model.getLayer('lead_mean_pooling').inboundNodes[0].inputTensors[0].name).toMatch(/^layer3_1_relu/);
    residual.model.dispose();
    expect(() => parseModelConfig({ ...size, backbone: 'vgg16', outputStride: 16 })).toThrow(/outputStride: 16 is built for these backbones only: resnet18.*; not vgg16/);
    expect(() => parseModelConfig({ ...size, outputStride: 8 })).toThrow(/outputStride/);
  });

  it('rejects a baseline with a foreign backbone and too small an input, naming the field', () => {
    expect(() => parseModelConfig({ architecture: 'resnet18', backbone: 'vgg16', inputHeight: 64, inputWidth: 64 })).toThrow(/backbone/);
    expect(() => parseModelConfig({ architecture: 'resnet18', inputHeight: 16, inputWidth: 64 })).toThrow(/inputHeight/);
  });
});
