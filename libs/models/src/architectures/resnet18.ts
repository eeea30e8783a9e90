import type * as tf from '@tensorflow/tfjs';
import { RESNET18_BLOCKS, RESNET_CHANNELS } from '../constants.ts';
import { LayerKit, scaledChannels, type BackboneFeatures } from './building-blocks.ts';

/** How a backbone is built from a model config: the parts of it a feature extractor reads. */
export interface BackboneOptions {
  widthMultiplier: number;
  outputStride: 16 | 32;
  vggBatchNorm: boolean;
}

/** ResNet18: four stages of two BasicBlocks (see basicBlockResNet). */
export function resnet18Features(kit: LayerKit, image: tf.SymbolicTensor, options: BackboneOptions): BackboneFeatures {
  return basicBlockResNet(kit, image, RESNET18_BLOCKS, options);
}

/**
 * A BasicBlock ResNet feature extractor (He et al. 2015, table 1; torchvision layout): 7x7/2 conv,
 * BN, ReLU, 3x3/2 max pool, then four stages of `blocks[stage]` BasicBlocks (3x3 conv-BN-ReLU, 3x3
 * conv-BN, identity or 1x1/2 conv-BN shortcut, add, ReLU). Returns the last feature map (stride
 * `outputStride`), before pooling, and layer3's output (stride 16).
 */
export function basicBlockResNet(kit: LayerKit, image: tf.SymbolicTensor, blocks: readonly number[], { widthMultiplier, outputStride }: BackboneOptions): BackboneFeatures {
  let x = kit.convBnRelu(image, 'stem', scaledChannels(64, widthMultiplier), 7, 2);
  x = kit.maxPool(x, 'stem_pool', 3, 2);
  let inChannels = scaledChannels(64, widthMultiplier);
  let stride16 = x;
  blocks.forEach((blockCount, stage) => {
    const channels = scaledChannels(RESNET_CHANNELS[stage], widthMultiplier);
    for (let block = 0; block < blockCount; block += 1) {
      // Output stride 16 keeps the last stage at the previous stage's resolution (no dilation).
      const strides = stage > 0 && block === 0 && !(outputStride === 16 && stage === blocks.length - 1) ? 2 : 1;
      const local = `layer${stage + 1}_${block}`;
      let y = kit.convBnRelu(x, `${local}_a`, channels, 3, strides);
      y = kit.batchNorm(kit.conv(y, `${local}_b_conv`, channels, 3, 1), `${local}_b_bn`);
      let shortcut = x;
      if (strides !== 1 || inChannels !== channels) {
        shortcut = kit.batchNorm(kit.conv(x, `${local}_down_conv`, channels, 1, strides), `${local}_down_bn`);
      }
      x = kit.relu(kit.add([y, shortcut], `${local}_add`), `${local}_relu`);
      inChannels = channels;
    }
    if (stage === 2) stride16 = x;
  });
  return { features: x, stride16 };
}
