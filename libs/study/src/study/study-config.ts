import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DATASET_KINDS } from '@leadwise/ecg';
import { PROVIDER_NAMES } from '@leadwise/llm';
import { ARCHITECTURE_SPECS, ARCHITECTURES, LEAD_GROUP_HEADS, PROFILE_SETTINGS, TRAINING_PROFILES, type Architecture, type TrainingProfile } from '@leadwise/models';
import { PAGE_STYLES } from '@leadwise/render';
import { z } from 'zod';
import { EVALUATION_ENGINES } from '../training/evaluate-run.ts';

/** A study runs at one of the training profiles and can compare every architecture. */
export const STUDY_PROFILES = TRAINING_PROFILES;
export type StudyProfile = TrainingProfile;
export const STUDY_MODELS = ARCHITECTURES;
export type StudyModel = Architecture;
/** The models a study compares when its config names none. */
const DEFAULT_STUDY_MODELS = STUDY_MODELS.filter((model) => ARCHITECTURE_SPECS[model].inDefaultStudy);

const datasetSchema = z.object({
  kind: z.enum(DATASET_KINDS),
  name: z.string().min(1),
  path: z.string().min(1),
});

const llmModelSchema = z.object({
  provider: z.enum(PROVIDER_NAMES),
  model: z.string().min(1),
});

/** The LLM arm's request settings where study.yaml's `llm` section leaves them out. */
export const LLM_ARM_DEFAULTS = { dpi: 100, temperature: 0, concurrency: 4, timeoutS: 120 } as const;

export const studyConfigSchema = z
  .object({
    name: z.string().min(1).default('leadgroup-vs-baselines'),
    profile: z.enum(STUDY_PROFILES).default('quick'),
    datasets: z.object({ internal: datasetSchema, external: datasetSchema.optional() }),
    models: z.array(z.enum(STUDY_MODELS)).min(1).default(DEFAULT_STUDY_MODELS),
    seeds: z.array(z.number().int().nonnegative()).min(1).default([1, 2, 3]),
    trainStyle: z.enum(PAGE_STYLES).default('grid'),
    // Absent: the profile's setting (PROFILE_SETTINGS[profile].augment).
    augment: z.boolean().optional(),
    // LeadGroupECG's head: residual (backbone + zero-initialised lead-group branch) or paper.
    // Absent: residual; only a non-default value enters the experiment's identity.
    leadGroupHead: z.enum(LEAD_GROUP_HEADS).optional(),
    // Dropout before the classifier of every CNN. Absent: the model default (0.2), kept out of the
    // experiment's identity.
    dropout: z.number().min(0).lt(1).optional(),
    // Auxiliary localised-statement targets per lead group (PTB-XL internal set only). Absent or
    // false: off, kept out of the experiment's identity.
    groupTargets: z.boolean().optional(),
    // Model input size HxW (e.g. 192x240) instead of the profile's. Absent: the profile's, kept out
    // of the experiment's identity.
    input: z
      .string()
      .regex(/^\d+x\d+$/, 'input must be HxW, e.g. 192x240')
      .optional(),
    llm: z
      .object({
        mode: z.enum(['auto', 'off']).default('auto'),
        models: z.array(llmModelSchema).default([]),
        prompt: z.string().default('study-zero-shot'),
        styles: z.array(z.enum(PAGE_STYLES)).min(1).default([...PAGE_STYLES]),
        repeats: z.number().int().positive().default(3),
        limit: z.number().int().positive().default(200),
        // How pages are drawn and sent. Absent: LLM_ARM_DEFAULTS, kept out of the experiment's identity.
        dpi: z.number().int().min(50).max(600).optional(),
        temperature: z.number().min(0).max(2).optional(),
        concurrency: z.number().int().positive().optional(),
        timeoutS: z.number().positive().optional(),
      })
      .default({ mode: 'auto', models: [], prompt: 'study-zero-shot', styles: [...PAGE_STYLES], repeats: 3, limit: 200 }),
    statistics: z
      .object({
        bootstrapResamples: z.number().int().min(100).default(2000),
        confidenceLevel: z.number().gt(0.5).lt(1).default(0.95),
        seed: z.number().int().default(20260626),
      })
      .default({ bootstrapResamples: 2000, confidenceLevel: 0.95, seed: 20260626 }),
    evaluation: z
      .object({ engine: z.enum(EVALUATION_ENGINES).default('onnx') })
      .default({ engine: 'onnx' }),
    report: z.object({ out: z.string().default('report') }).default({ out: 'report' }),
  })
  .strict();

export type StudyConfigInput = z.input<typeof studyConfigSchema>;
export type StudyConfig = z.output<typeof studyConfigSchema>;

/** What a profile changes: how many seeds, how many records per split, and how big the LLM arm is. */
export interface ResolvedStudyPlan {
  config: StudyConfig;
  seeds: number[];
  /** Training pages drawn with augmentations (the config's `augment`, else the profile's). */
  augment: boolean;
  /** Per-split record caps (null = the whole split), stratified by label, chosen by a fixed seed. */
  recordLimits: { train: number | null; val: number | null; test: number | null; external: number | null };
  llm: { repeats: number; limit: number };
  /** SHA-256 of the canonical resolved plan: the experiment's identity. */
  hash: string;
}

export class StudyConfigError extends Error {
  override name = 'StudyConfigError';
}

export function loadStudyConfig(path: string): StudyConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new StudyConfigError(`cannot read study config ${path}: ${(error as Error).message}`);
  }
  try {
    return parseYaml(text) as StudyConfigInput;
  } catch (error) {
    throw new StudyConfigError(`study config ${path} is not valid YAML: ${(error as Error).message}`);
  }
}

export function parseStudyConfig(input: unknown, source = 'study config'): StudyConfig {
  const result = studyConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new StudyConfigError(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

export function resolveStudyPlan(config: StudyConfig, profileOverride?: StudyProfile): ResolvedStudyPlan {
  const profile = profileOverride ?? config.profile;
  // The default head is left out so that configs written before the field existed keep their identity.
  const resolvedConfig: StudyConfig = {
    ...config,
    profile,
    leadGroupHead: config.leadGroupHead === 'residual' ? undefined : config.leadGroupHead,
    groupTargets: config.groupTargets ? true : undefined,
  };
  const quick = profile === 'quick';
  const plan = {
    config: resolvedConfig,
    // The quick profile is a smoke run of the whole pipeline: one seed, small stratified subsets.
    seeds: quick ? config.seeds.slice(0, 1) : config.seeds,
    augment: config.augment ?? PROFILE_SETTINGS[profile].augment,
    // Validation (early stopping and the Youden threshold) uses the profile's stratified subset.
    recordLimits: quick
      ? { train: 480, val: 160, test: 400, external: 400 }
      : { train: null, val: PROFILE_SETTINGS[profile].maxValSamples, test: null, external: null },
    llm: quick ? { repeats: 1, limit: Math.min(config.llm.limit, 20) } : { repeats: config.llm.repeats, limit: config.llm.limit },
  };
  return { ...plan, hash: sha256Hex(canonicalJson(plan)) };
}

/** JSON with object keys sorted, so equal configs hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
