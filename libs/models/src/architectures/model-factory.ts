import * as tf from '@tensorflow/tfjs';
import {
  BOX_COUNT,
  groupMembershipMatrix,
  INPUT_IMAGE,
  INPUT_LEAD_BOXES,
  LEAD_COUNT,
  OUTPUT_GROUP_ATTENTION,
  OUTPUT_PROBABILITY,
  VGG16_FC_UNITS,
} from '../constants.ts';
import type { ModelConfig } from '../types.ts';
import { LayerKit, scaledChannels } from './building-blocks.ts';
import { densenet121Features } from './densenet121.ts';
import { GroupAggregation, GroupAttention, LeadPooling } from './lead-group-layers.ts';
import { resnet18Features } from './resnet18.ts';
import { vgg16Features, vgg16Head } from './vgg16.ts';

/** A built network and what callers need to feed it and read it. */
export interface LeadwiseModel {
  config: ModelConfig;
  model: tf.LayersModel;
  /** True when the graph takes the lead boxes as a second input (LeadGroupECG). */
  usesLeadBoxes: boolean;
  /** Boxes the graph's lead_boxes input takes: 13 (panels + rhythm strip), 12 (panels only), 0 (no input). */
  leadBoxCount: number;
  /** True when the graph has a second output with the five group attention weights. */
  hasGroupAttention: boolean;
}

function backboneFeatures(kit: LayerKit, image: tf.SymbolicTensor, config: ModelConfig): tf.SymbolicTensor {
  switch (config.backbone) {
    case 'resnet18':
      return resnet18Features(kit, image, config.widthMultiplier, config.outputStride);
    case 'densenet121':
      return densenet121Features(kit, image, config.widthMultiplier);
    case 'vgg16':
      return vgg16Features(kit, image, config.widthMultiplier, config.vggBatchNorm);
  }
}

/**
 * Builds the network a config describes, with fresh seeded weights. Graph (input and output names
 * are the constants INPUT_* / OUTPUT_*):
 *
 * - resnet18 / densenet121: image [B,H,W,C] -> features -> global average pool -> dropout -> dense(1)
 *   -> sigmoid = probability [B,1].
 * - vgg16: image -> 13 convs -> flatten -> FC(4096w)-ReLU-dropout x2 -> dense(1) -> sigmoid (the
 *   paper's dropout is 0.5; here it is config.dropout like the other heads).
 * - leadgroup: image -> backbone features [B,h,w,C]; with lead_boxes [B,13,4] (12 panels + rhythm
 *   strip; [B,12,4] with rhythmStrip false): LeadPooling [B,13,C] -> GroupAggregation [B,5,C] -> GroupAttention -> (context [B,C], group_attention
 *   [B,5]); context -> dropout -> dense(1) -> sigmoid = probability. Outputs [probability,
 *   group_attention] with the groups in LEAD_GROUP_NAMES order.
 */
export function createModel(config: ModelConfig): LeadwiseModel {
  const kit = new LayerKit(config.seed, '');
  const image = tf.input({ name: INPUT_IMAGE, shape: [config.inputHeight, config.inputWidth, config.channels] });
  const features = backboneFeatures(kit, image, config);

  if (config.architecture === 'leadgroup') {
    const leadBoxCount = config.rhythmStrip ? BOX_COUNT : LEAD_COUNT;
    const leadBoxes = tf.input({ name: INPUT_LEAD_BOXES, shape: [leadBoxCount, 4] });
    const leadFeatures = new LeadPooling({ name: 'lead_pooling' }).apply([features, leadBoxes]) as tf.SymbolicTensor;
    const groupFeatures = new GroupAggregation({ name: 'group_aggregation', membership: groupMembershipMatrix(config.rhythmStrip) }).apply(
      leadFeatures,
    ) as tf.SymbolicTensor;
    const [context, attention] = new GroupAttention({
      name: 'group_attention_scores',
      units: scaledChannels(config.attentionUnits, 1),
      seed: kit.nextSeed(),
    }).apply(groupFeatures) as tf.SymbolicTensor[];
    const attentionOut = tf.layers.activation({ name: OUTPUT_GROUP_ATTENTION, activation: 'linear' }).apply(attention) as tf.SymbolicTensor;
    const probability = classifier(kit, context, config.dropout);
    const model = tf.model({ name: 'leadgroup_ecg', inputs: [image, leadBoxes], outputs: [probability, attentionOut] });
    return { config, model, usesLeadBoxes: true, leadBoxCount, hasGroupAttention: true };
  }

  const pooled =
    config.architecture === 'vgg16'
      ? vgg16Head(kit, features, scaledChannels(VGG16_FC_UNITS, config.widthMultiplier), config.dropout)
      : kit.globalAvgPool(features, 'global_pool');
  const probability = classifier(kit, pooled, config.architecture === 'vgg16' ? 0 : config.dropout);
  const model = tf.model({ name: config.architecture, inputs: image, outputs: probability });
  return { config, model, usesLeadBoxes: false, leadBoxCount: 0, hasGroupAttention: false };
}

function classifier(kit: LayerKit, x: tf.SymbolicTensor, dropout: number): tf.SymbolicTensor {
  const logit = kit.dense(kit.dropout(x, 'classifier_dropout', dropout), 'classifier', 1);
  return tf.layers.activation({ name: OUTPUT_PROBABILITY, activation: 'sigmoid' }).apply(logit) as tf.SymbolicTensor;
}

/** Number of trainable parameters (what torchvision's `sum(p.numel() for p in parameters())` counts). */
export function countTrainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}
