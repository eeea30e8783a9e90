import type { Architecture, Backbone } from './architectures/architecture-registry.ts';
import type { LeadGroupHead, TrainingProfile } from './constants.ts';

/**
 * One lead's box on the model input, normalised to [0, 1]: [x0, y0, x1, y1] with x to the right
 * and y downwards, as in the renderer's sidecar divided by the page size.
 */
export type LeadBox = readonly [number, number, number, number];

/** Everything that determines a network's graph and its initial weights. */
export interface ModelConfig {
  architecture: Architecture;
  /** Feature extractor of LeadGroupECG; for the three baselines it equals `architecture`. */
  backbone: Backbone;
  inputHeight: number;
  inputWidth: number;
  /** 1 for grayscale pages, 3 for RGB. */
  channels: 1 | 3;
  /** Scales every channel count (and DenseNet's growth rate); 1 is the paper's network. */
  widthMultiplier: number;
  /** Seeds every initializer, so the same config gives the same initial weights on the same backend. */
  seed: number;
  /** Dropout before the classifier (and in VGG16's fully connected layers). */
  dropout: number;
  /** VGG16 as published has no batch normalisation; `true` gives the vgg16_bn variant. */
  vggBatchNorm: boolean;
  /** Hidden units of the 'paper' head's group attention (unused by the 'residual' head). */
  attentionUnits: number;
  /**
   * LeadGroupECG only: 'residual' (the default for new configs) adds a zero-initialised lead-group
   * branch to the backbone's classifier, so training starts from the backbone and the branch must
   * earn its contribution; 'paper' is the published head, kept for the comparison. A stored config
   * without the field (saved before it existed) is 'paper' (parseStoredModelConfig).
   */
  leadGroupHead: LeadGroupHead;
  /**
   * Downsampling of the last feature map (ResNet18 backbone only). 32 is the published network;
   * 16 keeps the last stage at stride 1 (same weights, 4x its compute), so that LeadGroupECG's lead
   * boxes cover several feature cells instead of about one at CPU input sizes.
   */
  outputStride: 16 | 32;
  /**
   * LeadGroupECG only: also pool the rhythm strip (a 10-second lead II) and count it in lead II's
   * group, so the network sees the quarter of the page that carries the rhythm. Defaults to on for
   * the 'residual' head (the design tested in PyTorch pools 13 boxes) and off for 'paper' (the
   * paper's 12 leads; there it did not help at the standard profile, docs/benchmarks.md).
   */
  rhythmStrip: boolean;
  /**
   * Auxiliary per-group targets (issue 13): a third output (second for the baselines),
   * `group_target_probability` [B,4], trained on whether the record carries a PTB-XL statement
   * localised to each group (LOCALISED_GROUP_NAMES: inferior, lateral, septal, anterior; aVR has
   * none). LeadGroupECG reads each group's logit from that group's own vector only; the baselines
   * read all four from their pooled features, the control that gets the same labels without the
   * group structure. Built after every other layer, so the other weights are those of the model
   * without it; ONNX exports leave it out (it is a training signal, not a prediction).
   */
  groupTargets: boolean;
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  /** Peak learning rate of Adam, reached at the end of warm-up. */
  learningRate: number;
  /** Linear warm-up length as a fraction of all steps. */
  warmupFraction: number;
  /** Learning rate at the end of the cosine decay, as a fraction of the peak. */
  finalLearningRateFraction: number;
  /** Epochs without a better validation ROC-AUC before training stops. */
  patience: number;
  /** Seeds data order and augmentation (initial weights are seeded by ModelConfig.seed). */
  seed: number;
  /** 'balanced' weighs each class by N / (2 N_class) so both classes count equally in the loss. */
  classWeighting: 'balanced' | 'none';
  evalBatchSize: number;
  /** Weight of the auxiliary group targets' mean binary cross-entropy in the loss (models with groupTargets). */
  groupTargetWeight: number;
}

/** What a SampleSource returns for one sample: the pixels at the model's input size and its label. */
export interface Sample {
  /**
   * Row-major height x width x channels, values in [0, 1] with 0 = blank paper and 1 = full ink, so
   * that the background is zero (as the convolutions' zero padding) and blanking a box writes 0.
   */
  pixels: Float32Array;
  /** 1 = abnormal, 0 = normal. */
  label: 0 | 1;
  /**
   * The 12 leads' panel boxes in LEAD_NAMES order, normalised to the image, then (13th, optional)
   * the rhythm strip's box; a sample without it gets RHYTHM_LEAD's panel there (withRhythmBox).
   */
  leadBoxes: readonly LeadBox[];
  /**
   * Per localised group (LOCALISED_GROUP_NAMES order), 1 when the record has a statement localised
   * there; needed only to train a model with groupTargets.
   */
  groupTargets?: readonly number[];
}

/**
 * Where training and evaluation images come from. The model library does not know whether they are
 * rendered on the fly, read from a cache or from PNG pages.
 */
export interface SampleSource {
  readonly size: number;
  readonly inputHeight: number;
  readonly inputWidth: number;
  readonly channels: 1 | 3;
  /** Labels of all samples without producing pixels (for class weights and stratification). */
  labels(): ArrayLike<number>;
  /**
   * Sample `index`; `augmentationSeed` null means no augmentation (validation, test, attribution),
   * a number means a reproducible random augmentation.
   */
  sample(index: number, augmentationSeed: number | null): Promise<Sample>;
}

export interface ProfileSettings {
  profile: TrainingProfile;
  inputHeight: number;
  inputWidth: number;
  widthMultiplier: number;
  epochs: number;
  /**
   * Epochs for architectures whose step costs several times ResNet18's, so that every run of the
   * profile fits its time budget (DenseNet121 and VGG16 at the standard profile; see
   * docs/benchmarks.md). Unlisted architectures train for `epochs`.
   */
  epochsByArchitecture?: Partial<Record<Architecture, number>>;
  /**
   * Train VGG16 with batch normalisation (torchvision's vgg16_bn). As published (no BN) it does not
   * learn from scratch in a CPU budget: at the standard profile its first epoch ended at validation
   * ROC-AUC 0.500, a constant output (docs/benchmarks.md).
   */
  vggBatchNorm: boolean;
  /**
   * Draw training pages with the default augmentations (rotation, blur, noise, salt and pepper,
   * brightness/contrast, DPI jitter, crop, baseline wander). Off at the CPU profiles: on at the
   * standard profile they cost ResNet18 about 0.02 and LeadGroupECG about 0.04 fold-9 ROC-AUC in
   * 3 epochs (docs/benchmarks.md, "Training recipe"); with them off the training page is exactly
   * the evaluation page.
   */
  augment: boolean;
  batchSize: number;
  learningRate: number;
  patience: number;
  /** Records per split the orchestration should use (null = all), stratified by label. */
  maxTrainSamples: number | null;
  maxValSamples: number | null;
  maxTestSamples: number | null;
}
