import { z } from 'zod';
import { ARCHITECTURES, BACKBONE_REGISTRY, BACKBONES, type Architecture } from './architectures/architecture-registry.ts';
import { LEAD_GROUP_HEADS, type TrainingProfile } from './constants.ts';
import type { ModelConfig, ProfileSettings, TrainConfig } from './types.ts';

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

// Downsampling by 32 (ResNet18, DenseNet121, VGG16 all have five stride-2 stages) must leave >= 1 cell.
const inputSide = z.number().int().min(32).max(4096);

export const modelConfigSchema = z
  .object({
    architecture: z.enum(ARCHITECTURES),
    backbone: z.enum(BACKBONES).optional(),
    inputHeight: inputSide,
    inputWidth: inputSide,
    channels: z.union([z.literal(1), z.literal(3)]).default(1),
    widthMultiplier: z.number().gt(0).max(4).default(1),
    seed: z.number().int().nonnegative().default(0),
    dropout: z.number().min(0).lt(1).default(0.2),
    vggBatchNorm: z.boolean().default(false),
    attentionUnits: z.number().int().positive().default(64),
    outputStride: z.union([z.literal(16), z.literal(32)]).default(32),
    leadGroupHead: z.enum(LEAD_GROUP_HEADS).default('residual'),
    // Resolved in parseModelConfig: its default depends on the head.
    rhythmStrip: z.boolean().optional(),
    groupTargets: z.boolean().default(false),
  })
  .strict();

export const trainConfigSchema = z
  .object({
    epochs: z.number().int().positive().default(10),
    batchSize: z.number().int().positive().default(32),
    learningRate: z.number().positive().default(1e-3),
    warmupFraction: z.number().min(0).lt(1).default(0.05),
    finalLearningRateFraction: z.number().min(0).max(1).default(0.01),
    patience: z.number().int().positive().default(3),
    seed: z.number().int().nonnegative().default(0),
    classWeighting: z.enum(['balanced', 'none']).default('balanced'),
    evalBatchSize: z.number().int().positive().default(64),
    groupTargetWeight: z.number().min(0).default(0.3),
  })
  .strict();

function formatIssues(source: string, error: z.ZodError): string {
  const problems = error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return `${source} is invalid:\n  ${problems.join('\n  ')}`;
}

/** Validates a model config; `leadgroup` defaults to a ResNet18 backbone, baselines are their own backbone. */
export function parseModelConfig(input: unknown, source = 'model config'): ModelConfig {
  const result = modelConfigSchema.safeParse(input);
  if (!result.success) throw new ModelConfigError(formatIssues(source, result.error));
  const parsed = result.data;
  const architecture: Architecture = parsed.architecture;
  if (architecture !== 'leadgroup' && parsed.backbone !== undefined && parsed.backbone !== architecture) {
    throw new ModelConfigError(`${source} is invalid:\n  backbone: ${architecture} cannot have backbone ${parsed.backbone}`);
  }
  const backbone = architecture === 'leadgroup' ? (parsed.backbone ?? 'resnet18') : architecture;
  if (parsed.outputStride === 16 && !BACKBONE_REGISTRY[backbone].outputStride16) {
    const supported = BACKBONES.filter((b) => BACKBONE_REGISTRY[b].outputStride16).join(', ');
    throw new ModelConfigError(`${source} is invalid:\n  outputStride: 16 is built for these backbones only: ${supported}; not ${backbone}`);
  }
  const rhythmStrip = parsed.rhythmStrip ?? (architecture === 'leadgroup' && parsed.leadGroupHead === 'residual');
  return { ...parsed, architecture, backbone, rhythmStrip };
}

/**
 * Parses a config stored with a checkpoint or an ONNX export. One saved before `leadGroupHead`
 * existed was built with the paper's head (and, lacking `rhythmStrip`, 12 boxes), so a missing
 * field means 'paper' here, not the default for new configs.
 */
export function parseStoredModelConfig(input: unknown, source = 'stored model config'): ModelConfig {
  const stored = input !== null && typeof input === 'object' && !('leadGroupHead' in input) ? { ...input, leadGroupHead: 'paper' } : input;
  return parseModelConfig(stored, source);
}

export function parseTrainConfig(input: unknown, source = 'train config'): TrainConfig {
  const result = trainConfigSchema.safeParse(input ?? {});
  if (!result.success) throw new ModelConfigError(formatIssues(source, result.error));
  return result.data;
}

/**
 * Per-profile sizes, chosen by measurement on this 2-core machine (docs/benchmarks.md, "Training"):
 * quick is a smoke run of minutes, standard one run within 15 min on one core with rendering,
 * paper the published sizes for a GPU.
 */
export const PROFILE_SETTINGS: Record<TrainingProfile, ProfileSettings> = {
  quick: {
    profile: 'quick',
    inputHeight: 96,
    inputWidth: 128,
    widthMultiplier: 0.25,
    epochs: 2,
    vggBatchNorm: true,
    augment: false,
    batchSize: 16,
    learningRate: 2e-3,
    patience: 2,
    maxTrainSamples: 480,
    maxValSamples: 160,
    maxTestSamples: 400,
  },
  standard: {
    profile: 'standard',
    inputHeight: 128,
    inputWidth: 160,
    widthMultiplier: 0.25,
    epochs: 3,
    // At 8-11 training images/s against 31-38 for ResNet18 and LeadGroupECG (quiet machine), three
    // epochs would take 20-30 min per run; two keep each run near the 15-minute budget.
    epochsByArchitecture: { densenet121: 2, vgg16: 2 },
    vggBatchNorm: true,
    augment: false,
    batchSize: 32,
    learningRate: 2e-3,
    patience: 3,
    maxTrainSamples: null,
    maxValSamples: 600,
    maxTestSamples: null,
  },
  paper: {
    profile: 'paper',
    inputHeight: 224,
    inputWidth: 288,
    widthMultiplier: 1,
    epochs: 30,
    vggBatchNorm: false,
    // Thirty epochs at full size can overfit clean renders; not measured here (no GPU).
    augment: true,
    batchSize: 32,
    learningRate: 1e-3,
    patience: 5,
    maxTrainSamples: null,
    maxValSamples: null,
    maxTestSamples: null,
  },
};

/** Epochs a profile gives an architecture (its `epochsByArchitecture` entry, else `epochs`). */
export function profileEpochs(profile: TrainingProfile, architecture: Architecture): number {
  const settings = PROFILE_SETTINGS[profile];
  return settings.epochsByArchitecture?.[architecture] ?? settings.epochs;
}

/** Parses `HxW` as given to `--input`, e.g. `128x160`. */
export function parseInputSize(text: string): { inputHeight: number; inputWidth: number } {
  const match = /^(\d+)x(\d+)$/.exec(text.trim());
  if (!match) throw new ModelConfigError(`input size "${text}" is not HxW, e.g. 128x160`);
  return { inputHeight: Number(match[1]), inputWidth: Number(match[2]) };
}
