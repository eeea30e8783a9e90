import { LEAD_GROUP_NAMES, LEAD_GROUPS, LEAD_NAMES, LOCALISED_GROUP_NAMES } from '@leadwise/ecg';


/**
 * LeadGroupECG heads. 'residual': the backbone's own classifier plus a lead-group branch whose output
 * starts at zero (issue 13); 'paper': the published head, one attention-weighted mix of the five
 * group means. Checkpoints saved before the choice existed are 'paper'.
 */
export const LEAD_GROUP_HEADS = ['residual', 'paper'] as const;
export type LeadGroupHead = (typeof LEAD_GROUP_HEADS)[number];

/**
 * Width and attention heads of the residual head's lead tokens. Fixed rather than scaled with the
 * backbone: d = 64 with 4 heads is the size tested in PyTorch (about 0.3 MMAC over the backbone).
 */
export const LEAD_TOKEN_UNITS = 64;
export const LEAD_TOKEN_HEADS = 4;

export const TRAINING_PROFILES = ['quick', 'standard', 'paper'] as const;
export type TrainingProfile = (typeof TRAINING_PROFILES)[number];

/** ResNet18 (He et al. 2015, table 1): BasicBlocks per stage; base channels per stage of every BasicBlock ResNet. */
export const RESNET18_BLOCKS = [2, 2, 2, 2] as const;
export const RESNET_CHANNELS = [64, 128, 256, 512] as const;

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
/** Training-only output of a model with groupTargets; never exported to ONNX. */
export const OUTPUT_GROUP_TARGETS = 'group_target_probability';

export const LEAD_COUNT = LEAD_NAMES.length;
export const GROUP_COUNT = LEAD_GROUP_NAMES.length;
/** Auxiliary targets of a model with groupTargets: the lead groups a PTB-XL statement can name. */
export const GROUP_TARGET_COUNT = LOCALISED_GROUP_NAMES.length;

/**
 * Lead boxes a sample carries: the 12 panels in LEAD_NAMES order, then the rhythm strip (index
 * RHYTHM_BOX), which is a 10-second recording of RHYTHM_LEAD. A layout without a rhythm strip
 * repeats RHYTHM_LEAD's panel there.
 */
export const RHYTHM_LEAD = 'II';
export const RHYTHM_BOX = LEAD_COUNT;
export const BOX_COUNT = LEAD_COUNT + 1;
const RHYTHM_LEAD_INDEX = LEAD_NAMES.indexOf(RHYTHM_LEAD);

/**
 * Box-to-group membership in LEAD_GROUP_NAMES x boxes order: row g lists, for each box, 1 / (boxes
 * in group g) if the box belongs to group g, else 0, so a group feature is the mean of its boxes'
 * pooled features. With `rhythmStrip` there are 13 columns and the rhythm strip joins its lead's
 * group (lead II: inferior, then the mean of II, III, aVF and the strip); without it, 12.
 */
export function groupMembershipMatrix(rhythmStrip = true): number[][] {
  const boxLeads: string[] = rhythmStrip ? [...LEAD_NAMES, RHYTHM_LEAD] : [...LEAD_NAMES];
  return LEAD_GROUP_NAMES.map((group) => {
    const members = LEAD_GROUPS[group] as readonly string[];
    const count = boxLeads.filter((lead) => members.includes(lead)).length;
    return boxLeads.map((lead) => (members.includes(lead) ? 1 / count : 0));
  });
}

/** Pads a sample's 12 panel boxes with the rhythm box (RHYTHM_LEAD's panel) when it has none. */
export function withRhythmBox<T>(boxes: readonly T[]): T[] {
  if (boxes.length === BOX_COUNT) return [...boxes];
  if (boxes.length !== LEAD_COUNT) throw new RangeError(`expected ${LEAD_COUNT} or ${BOX_COUNT} lead boxes, got ${boxes.length}`);
  return [...boxes, boxes[RHYTHM_LEAD_INDEX]];
}
