import type * as tf from '@tensorflow/tfjs';
import type { BackboneFeatures, LayerKit } from './building-blocks.ts';
import { basicBlockResNet, type BackboneOptions } from './resnet18.ts';

/** ResNet34 (He et al. 2015, table 1; torchvision resnet34): BasicBlocks per stage. */
export const RESNET34_BLOCKS = [3, 4, 6, 3] as const;

/** ResNet34: ResNet18's stem, widths and output strides with four stages of [3, 4, 6, 3] BasicBlocks. */
export function resnet34Features(kit: LayerKit, image: tf.SymbolicTensor, options: BackboneOptions): BackboneFeatures {
  return basicBlockResNet(kit, image, RESNET34_BLOCKS, options);
}
