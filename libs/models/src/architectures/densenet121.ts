import type * as tf from '@tensorflow/tfjs';
import { DENSENET121_BLOCKS, DENSENET121_BOTTLENECK, DENSENET121_COMPRESSION, DENSENET121_GROWTH } from '../constants.ts';
import { LayerKit, scaledChannels, type BackboneFeatures } from './building-blocks.ts';

/**
 * DenseNet121 feature extractor (Huang et al. 2017, DenseNet-BC; torchvision layout): 7x7/2 conv
 * with 2k channels, BN, ReLU, 3x3/2 max pool; dense blocks of [6, 12, 24, 16] layers, each
 * BN-ReLU-1x1 conv (4k) -BN-ReLU-3x3 conv (k) concatenated to its input; transitions BN-ReLU-1x1
 * conv (x0.5 channels) -2x2/2 average pool; a final BN-ReLU. Returns the stride-32 feature map and,
 * at stride 16, block 3's output after the last transition's BN-ReLU (normalised, before it is
 * compressed and pooled).
 */
export function densenet121Features(kit: LayerKit, image: tf.SymbolicTensor, widthMultiplier: number): BackboneFeatures {
  const growth = scaledChannels(DENSENET121_GROWTH, widthMultiplier);
  let channels = 2 * growth;
  let x = kit.convBnRelu(image, 'stem', channels, 7, 2);
  x = kit.maxPool(x, 'stem_pool', 3, 2);
  let stride16 = x;
  DENSENET121_BLOCKS.forEach((layerCount, blockIndex) => {
    const block = `block${blockIndex + 1}`;
    for (let layer = 0; layer < layerCount; layer += 1) {
      const local = `${block}_layer${layer + 1}`;
      let y = kit.batchNormRelu(x, `${local}_bn1`, `${local}_relu1`);
      y = kit.conv(y, `${local}_conv1`, DENSENET121_BOTTLENECK * growth, 1);
      y = kit.batchNormRelu(y, `${local}_bn2`, `${local}_relu2`);
      y = kit.conv(y, `${local}_conv2`, growth, 3);
      x = kit.concat([x, y], `${local}_concat`);
      channels += growth;
    }
    if (blockIndex < DENSENET121_BLOCKS.length - 1) {
      const local = `transition${blockIndex + 1}`;
      channels = Math.floor(channels * DENSENET121_COMPRESSION);
      x = kit.batchNormRelu(x, `${local}_bn`, `${local}_relu`);
      if (blockIndex === 2) stride16 = x;
      x = kit.conv(x, `${local}_conv`, channels, 1);
      x = kit.avgPool(x, `${local}_pool`, 2, 2);
    }
  });
  return { features: kit.batchNormRelu(x, 'final_bn', 'final_relu'), stride16 };
}
