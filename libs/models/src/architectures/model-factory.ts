import * as tf from '@tensorflow/tfjs';
import {
  BOX_COUNT,
  GROUP_TARGET_COUNT,
  groupMembershipMatrix,
  INPUT_IMAGE,
  INPUT_LEAD_BOXES,
  LEAD_COUNT,
  LEAD_TOKEN_HEADS,
  LEAD_TOKEN_UNITS,
  OUTPUT_GROUP_ATTENTION,
  OUTPUT_GROUP_TARGETS,
  OUTPUT_PROBABILITY,
  VGG16_FC_UNITS,
} from '../constants.ts';
import type { ModelConfig } from '../types.ts';
import { LayerKit, scaledChannels, type BackboneFeatures } from './building-blocks.ts';
import { BACKBONE_REGISTRY } from './architecture-registry.ts';
import {
  GroupAggregation,
  GroupAttention,
  GroupTargetReadout,
  LeadEmbedding,
  LeadMaxPooling,
  LeadPooling,
  LeadSelfAttention,
  LinearGroupAttention,
} from './lead-group-layers.ts';
import { vgg16Head } from './vgg16.ts';

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
  /** True when the graph's last output is the auxiliary group targets (config.groupTargets; training only). */
  hasGroupTargets: boolean;
}


/**
 * Builds the network a config describes, with fresh seeded weights. Graph (input and output names
 * are the constants INPUT_* / OUTPUT_*):
 *
 * - resnet18 / densenet121: image [B,H,W,C] -> features -> global average pool -> dropout -> dense(1)
 *   -> sigmoid = probability [B,1].
 * - vgg16: image -> 13 convs -> flatten -> FC(4096w)-ReLU-dropout x2 -> dense(1) -> sigmoid (the
 *   paper's dropout is 0.5; here it is config.dropout like the other heads).
 * - leadgroup, both heads: inputs image and lead_boxes [B,L,4]: L = 13 (12 panels + rhythm strip) when
 *   rhythmStrip is on, the residual head's default; L = 12 (panels only), the paper head's; outputs [probability, group_attention [B,5]] with the groups in
 *   LEAD_GROUP_NAMES order.
 *   - 'residual' head (issue 13): logit = the backbone's own classifier logit (the baseline graph
 *     above, same layer names and seeds, so the same seed gives the same backbone weights as the
 *     baseline) + a lead-group branch logit. Branch: the stride-16 map [B,h,w,C] -> per box, the
 *     area-weighted mean (LeadPooling) and the max over covered cells (LeadMaxPooling) -> concat
 *     [B,L,2C] -> dense(64) -> + lead embedding [L,64] -> pre-LN self-attention block (4 heads) ->
 *     GroupAggregation [B,5,64] -> LinearGroupAttention (zero-initialised: uniform 0.2) -> context
 *     [B,64]; concat(flatten(groups) [B,320], context) -> dense(1) with zero kernel and bias. At
 *     initialisation the branch logit is exactly 0 and the model is its backbone.
 *   - 'paper' head: final backbone features -> LeadPooling [B,L,C] -> GroupAggregation [B,5,C] ->
 *     GroupAttention -> (context [B,C], group_attention); context -> dropout -> dense(1) -> sigmoid.
 */
export function createModel(config: ModelConfig): LeadwiseModel {
  const kit = new LayerKit(config.seed, '');
  const image = tf.input({ name: INPUT_IMAGE, shape: [config.inputHeight, config.inputWidth, config.channels] });
  const { features, stride16 } = BACKBONE_REGISTRY[config.backbone].features(kit, image, config);

  if (config.architecture === 'leadgroup') {
    const leadBoxCount = config.rhythmStrip ? BOX_COUNT : LEAD_COUNT;
    const leadBoxes = tf.input({ name: INPUT_LEAD_BOXES, shape: [leadBoxCount, 4] });
    const membership = groupMembershipMatrix(config.rhythmStrip);
    const { probability, attention, groups } =
      config.leadGroupHead === 'residual'
        ? residualLeadGroupHead(kit, config, { features, stride16 }, leadBoxes, membership)
        : paperLeadGroupHead(kit, config, features, leadBoxes, membership);
    const attentionOut = tf.layers.activation({ name: OUTPUT_GROUP_ATTENTION, activation: 'linear' }).apply(attention) as tf.SymbolicTensor;
    // Built last, so that every other layer draws the seeds it draws without the targets.
    const targets = config.groupTargets
      ? [new GroupTargetReadout({ name: OUTPUT_GROUP_TARGETS, targets: GROUP_TARGET_COUNT, seed: kit.nextSeed() }).apply(groups) as tf.SymbolicTensor]
      : [];
    const model = tf.model({ name: 'leadgroup_ecg', inputs: [image, leadBoxes], outputs: [probability, attentionOut, ...targets] });
    return { config, model, usesLeadBoxes: true, leadBoxCount, hasGroupAttention: true, hasGroupTargets: config.groupTargets };
  }

  const { pooled, logit } = baselineClassifier(kit, features, config);
  const probability = tf.layers.activation({ name: OUTPUT_PROBABILITY, activation: 'sigmoid' }).apply(logit) as tf.SymbolicTensor;
  if (!config.groupTargets) {
    const model = tf.model({ name: config.architecture, inputs: image, outputs: probability });
    return { config, model, usesLeadBoxes: false, leadBoxCount: 0, hasGroupAttention: false, hasGroupTargets: false };
  }
  // The control for LeadGroupECG's group targets: the same labels, read from the pooled features.
  const targets = kit.dense(pooled, OUTPUT_GROUP_TARGETS, GROUP_TARGET_COUNT, 'sigmoid');
  const model = tf.model({ name: config.architecture, inputs: image, outputs: [probability, targets] });
  return { config, model, usesLeadBoxes: false, leadBoxCount: 0, hasGroupAttention: false, hasGroupTargets: true };
}

/** The baseline classifier on the backbone's final features: its input (pooled features) and its logit [B,1]. */
function baselineClassifier(kit: LayerKit, features: tf.SymbolicTensor, config: ModelConfig): { pooled: tf.SymbolicTensor; logit: tf.SymbolicTensor } {
  const pooled =
    config.backbone === 'vgg16'
      ? vgg16Head(kit, features, scaledChannels(VGG16_FC_UNITS, config.widthMultiplier), config.dropout)
      : kit.globalAvgPool(features, 'global_pool');
  return { pooled, logit: classifierLogit(kit, pooled, config.backbone === 'vgg16' ? 0 : config.dropout) };
}

/** A LeadGroupECG head's outputs: probability, group attention, and the group vectors [B,5,C] (group targets read them). */
interface LeadGroupHeadOutputs {
  probability: tf.SymbolicTensor;
  attention: tf.SymbolicTensor;
  groups: tf.SymbolicTensor;
}

function residualLeadGroupHead(
  kit: LayerKit,
  config: ModelConfig,
  { features, stride16 }: BackboneFeatures,
  leadBoxes: tf.SymbolicTensor,
  membership: number[][],
): LeadGroupHeadOutputs {
  // Built first so that its layers draw the same seeds as in the baseline model.
  const backboneLogit = baselineClassifier(kit, features, config).logit;
  const leadMean = new LeadPooling({ name: 'lead_mean_pooling' }).apply([stride16, leadBoxes]) as tf.SymbolicTensor;
  const leadMax = new LeadMaxPooling({ name: 'lead_max_pooling' }).apply([stride16, leadBoxes]) as tf.SymbolicTensor;
  let tokens = kit.dense(kit.concat([leadMean, leadMax], 'lead_statistics'), 'lead_projection', LEAD_TOKEN_UNITS);
  tokens = new LeadEmbedding({ name: 'lead_embedding', seed: kit.nextSeed() }).apply(tokens) as tf.SymbolicTensor;
  tokens = new LeadSelfAttention({ name: 'lead_self_attention', heads: LEAD_TOKEN_HEADS, seed: kit.nextSeed() }).apply(tokens) as tf.SymbolicTensor;
  const groups = new GroupAggregation({ name: 'group_aggregation', membership }).apply(tokens) as tf.SymbolicTensor;
  const [context, attention] = new LinearGroupAttention({ name: 'group_attention_scores' }).apply(groups) as tf.SymbolicTensor[];
  // All five group vectors, not only their attention-weighted mix, so the classifier knows which group a feature came from.
  const groupsAndContext = kit.concat([kit.flatten(groups, 'group_vectors'), context], 'group_readout');
  const branchLogit = kit.zeroDense(groupsAndContext, 'lead_group_classifier', 1);
  const logit = kit.add([backboneLogit, branchLogit], 'logit');
  const probability = tf.layers.activation({ name: OUTPUT_PROBABILITY, activation: 'sigmoid' }).apply(logit) as tf.SymbolicTensor;
  return { probability, attention, groups };
}

function paperLeadGroupHead(
  kit: LayerKit,
  config: ModelConfig,
  features: tf.SymbolicTensor,
  leadBoxes: tf.SymbolicTensor,
  membership: number[][],
): LeadGroupHeadOutputs {
  const leadFeatures = new LeadPooling({ name: 'lead_pooling' }).apply([features, leadBoxes]) as tf.SymbolicTensor;
  const groupFeatures = new GroupAggregation({ name: 'group_aggregation', membership }).apply(leadFeatures) as tf.SymbolicTensor;
  const [context, attention] = new GroupAttention({
    name: 'group_attention_scores',
    units: scaledChannels(config.attentionUnits, 1),
    seed: kit.nextSeed(),
  }).apply(groupFeatures) as tf.SymbolicTensor[];
  const probability = tf.layers.activation({ name: OUTPUT_PROBABILITY, activation: 'sigmoid' }).apply(classifierLogit(kit, context, config.dropout)) as tf.SymbolicTensor;
  return { probability, attention, groups: groupFeatures };
}

function classifierLogit(kit: LayerKit, x: tf.SymbolicTensor, dropout: number): tf.SymbolicTensor {
  return kit.dense(kit.dropout(x, 'classifier_dropout', dropout), 'classifier', 1);
}

/** Number of trainable parameters (what torchvision's `sum(p.numel() for p in parameters())` counts). */
export function countTrainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}
