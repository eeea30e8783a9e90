import type * as tf from '@tensorflow/tfjs';
import type { LeadGroupHead } from '../constants.ts';
import type { BackboneFeatures, LayerKit } from './building-blocks.ts';
import { densenet121Features } from './densenet121.ts';
import { resnet18Features, type BackboneOptions } from './resnet18.ts';
import { resnet34Features } from './resnet34.ts';
import { vgg16Features } from './vgg16.ts';

/** What a study report and the study's time estimate need to know about an architecture. */
export interface ArchitectureSpec {
  /** One line for the report's methods table. */
  describe: (options: { vggBatchNorm: boolean; leadGroupHead: LeadGroupHead }) => string;
  /** Wall time of one training run at the study profiles relative to ResNet18's (docs/benchmarks.md). */
  relativeTrainCost: number;
  /** In a study's model list when study.yaml names none. */
  inDefaultStudy: boolean;
}

/** A CNN that trains on its own and serves as a LeadGroupECG backbone. */
export interface BackboneSpec extends ArchitectureSpec {
  /** The feature extractor: the final map (stride 32, or 16 where `outputStride16`) and the stride-16 map. */
  features: (kit: LayerKit, image: tf.SymbolicTensor, options: BackboneOptions) => BackboneFeatures;
  /** Whether `outputStride: 16` (the last stage kept at stride 16) is built for it. */
  outputStride16: boolean;
}

/**
 * The backbones, keyed by name; their keys in this order are BACKBONES. Adding an architecture is
 * an entry here plus its feature extractor (libs/models/README.md, "How to add a model").
 */
const BACKBONE_SPECS = {
  resnet18: {
    features: resnet18Features,
    outputStride16: true,
    describe: () => 'ResNet18 (BasicBlock [2,2,2,2])',
    relativeTrainCost: 1,
    inDefaultStudy: true,
  },
  resnet34: {
    features: resnet34Features,
    outputStride16: true,
    describe: () => 'ResNet34 (BasicBlock [3,4,6,3])',
    // 1.45x ResNet18's CPU time per step at the standard profile (docs/benchmarks.md, issue 17).
    relativeTrainCost: 1.5,
    // Added after the published comparison: trained when study.yaml names it.
    inDefaultStudy: false,
  },
  densenet121: {
    features: (kit, image, { widthMultiplier }) => densenet121Features(kit, image, widthMultiplier),
    outputStride16: false,
    describe: () => 'DenseNet121 (blocks [6,12,24,16], growth 32, bottleneck 4, compression 0.5)',
    relativeTrainCost: 2.2,
    inDefaultStudy: true,
  },
  vgg16: {
    features: (kit, image, { widthMultiplier, vggBatchNorm }) => vgg16Features(kit, image, widthMultiplier, vggBatchNorm),
    outputStride16: false,
    describe: ({ vggBatchNorm }) => (vggBatchNorm ? 'VGG16 (13 conv layers), with batch normalisation (vgg16_bn)' : 'VGG16 (13 conv layers)'),
    relativeTrainCost: 3,
    inDefaultStudy: true,
  },
} satisfies Record<string, BackboneSpec>;

export type Backbone = keyof typeof BACKBONE_SPECS;
export const BACKBONES = Object.keys(BACKBONE_SPECS) as [Backbone, ...Backbone[]];

/** LeadGroupECG on one of the backbones (ResNet18 unless a config says otherwise). */
const LEADGROUP_SPEC: ArchitectureSpec = {
  describe: ({ leadGroupHead }) =>
    leadGroupHead === 'paper'
      ? 'LeadGroupECG (paper head): ResNet18, per-lead pooling of the final map in the 12 panels, group means, attention over groups'
      : 'LeadGroupECG (residual head): ResNet18 + a zero-initialised lead-group branch (mean and max of the stride-16 map in the 12 panels and the rhythm strip, lead self-attention, five group vectors, attention over groups)',
  relativeTrainCost: 1.2,
  inDefaultStudy: true,
};

/** Architectures Leadwise can train: LeadGroupECG, then every backbone on its own. */
export type Architecture = 'leadgroup' | Backbone;
export const ARCHITECTURES = ['leadgroup', ...BACKBONES] as [Architecture, ...Architecture[]];

export const BACKBONE_REGISTRY: Readonly<Record<Backbone, BackboneSpec>> = BACKBONE_SPECS;
export const ARCHITECTURE_SPECS: Readonly<Record<Architecture, ArchitectureSpec>> = { leadgroup: LEADGROUP_SPEC, ...BACKBONE_SPECS };
