import * as tf from '@tensorflow/tfjs';
import { VGG16_BLOCKS } from '../constants.ts';
import { LayerKit, scaledChannels, type BackboneFeatures } from './building-blocks.ts';

/**
 * VGG16 convolutional part (Simonyan and Zisserman 2014, configuration D): 13 3x3 conv layers with
 * bias and ReLU in five blocks, each followed by 2x2/2 max pooling; with `batchNorm` each conv is
 * followed by BN (torchvision's vgg16_bn). Returns the stride-32 feature map and block 4's last
 * conv output (stride 16, before its pool).
 */
export function vgg16Features(
  kit: LayerKit,
  image: tf.SymbolicTensor,
  widthMultiplier: number,
  batchNorm: boolean,
): BackboneFeatures {
  let x = image;
  let stride16 = image;
  VGG16_BLOCKS.forEach((block, blockIndex) => {
    block.forEach((baseChannels, convIndex) => {
      const local = `block${blockIndex + 1}_conv${convIndex + 1}`;
      x = kit.conv(x, local, scaledChannels(baseChannels, widthMultiplier), 3, 1, !batchNorm);
      x = batchNorm ? kit.batchNormRelu(x, `${local}_bn`, `${local}_relu`) : kit.relu(x, `${local}_relu`);
    });
    if (blockIndex === 3) stride16 = x;
    x = kit.maxPool(x, `block${blockIndex + 1}_pool`, 2, 2);
  });
  return { features: x, stride16 };
}

/** VGG16's classifier: flatten, FC-4096, ReLU, dropout, FC-4096, ReLU, dropout (then the caller's output layer). */
export function vgg16Head(kit: LayerKit, features: tf.SymbolicTensor, fcUnits: number, dropout: number): tf.SymbolicTensor {
  let x = tf.layers.flatten({ name: kit.name('flatten') }).apply(features) as tf.SymbolicTensor;
  x = kit.dropout(kit.dense(x, 'fc1', fcUnits, 'relu'), 'fc1_dropout', dropout);
  return kit.dropout(kit.dense(x, 'fc2', fcUnits, 'relu'), 'fc2_dropout', dropout);
}
