import { LEAD_GROUP_NAMES, LEAD_GROUPS, LEAD_NAMES } from '@leadwise/ecg';

/** Architectures Leadwise can train; `leadgroup` is LeadGroupECG on one of the other three as backbone. */
export const ARCHITECTURES = ['leadgroup', 'resnet18', 'densenet121', 'vgg16'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];
export const BACKBONES = ['resnet18', 'densenet121', 'vgg16'] as const;
export type Backbone = (typeof BACKBONES)[number];

export const TRAINING_PROFILES = ['quick', 'standard', 'paper'] as const;
export type TrainingProfile = (typeof TRAINING_PROFILES)[number];

/** ResNet18 (He et al. 2015, table 1): BasicBlocks per stage and base channels per stage. */
export const RESNET18_BLOCKS = [2, 2, 2, 2] as const;
export const RESNET18_CHANNELS = [64, 128, 256, 512] as const;

/** DenseNet121 (Huang et al. 2017, table 1 and section 3, "DenseNet-BC"). */
export const DENSENET121_BLOCKS = [6, 12, 24, 16] as const;
export const DENSENET121_GROWTH = 32;
export const DENSENET121_BOTTLENECK = 4;
export const DENSENET121_COMPRESSION = 0.5;

/** VGG16 (Simonyan and Zisserman 2014, configuration D): conv channels per block, 'M' = 2x2 max pool. */
export const VGG16_BLOCKS = [
  [64, 64],
  [128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [512, 512, 512],
] as const;
export const VGG16_FC_UNITS = 4096;

/** Names of the graph inputs and outputs, stable so that checkpoints and ONNX exports can refer to them. */
export const INPUT_IMAGE = 'image';
export const INPUT_LEAD_BOXES = 'lead_boxes';
export const OUTPUT_PROBABILITY = 'probability';
export const OUTPUT_GROUP_ATTENTION = 'group_attention';

export const LEAD_COUNT = LEAD_NAMES.length;
export const GROUP_COUNT = LEAD_GROUP_NAMES.length;

/**
 * Lead-to-group membership in LEAD_NAMES x LEAD_GROUP_NAMES order: row g lists, for each of the 12
 * leads, 1 / (leads in group g) if the lead belongs to group g, else 0. A group feature is the mean
 * of its leads' pooled features.
 */
export function groupMembershipMatrix(): number[][] {
  return LEAD_GROUP_NAMES.map((group) => {
    const members = LEAD_GROUPS[group] as readonly string[];
    return LEAD_NAMES.map((lead) => (members.includes(lead) ? 1 / members.length : 0));
  });
}
