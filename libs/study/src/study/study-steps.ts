import { isAbsolute, resolve } from 'node:path';
import { DatasetStore, RecordStore, RunStore, type LeadwiseDatabase, type Run } from '@leadwise/db';
import { PROVIDER_ENV, providerFromEnv } from '@leadwise/llm';
import { ARCHITECTURE_SPECS, parseInputSize, PROFILE_SETTINGS, type Architecture } from '@leadwise/models';
import { PAGE_GRID_STYLES } from '@leadwise/render';
import { importDataset } from '../import/index.ts';
import { runLlmArm } from '../llm-arm/index.ts';
import { evaluateRun, trainRun, type TrainRunSpec } from '../training/index.ts';
import { LLM_ARM_DEFAULTS, type ResolvedStudyPlan, type StudyConfig } from './study-config.ts';

/** One unit of study work; a finished step is found in the database and skipped on a re-run. */
export interface StudyStep {
  key: string;
  title: string;
  /** Relative cost used for the remaining-time estimate (about seconds on this machine for quick). */
  weight: number;
  done: (ctx: StudyContext) => Promise<boolean>;
  run: (ctx: StudyContext, progress: (done: number, total: number) => void) => Promise<void>;
  /** Training steps name their run so that several can be trained at once in child processes. */
  parallel?: { model: Architecture; seed: number };
  /** The model a training or evaluation step belongs to (for `onlyModels`). */
  model?: Architecture;
}

export interface StudyContext {
  db: LeadwiseDatabase;
  plan: ResolvedStudyPlan;
  experimentId: number;
  dataDir: string;
  log: (line: string) => void;
  /** True while training runs are still going on in child processes (they hold both cores). */
  childrenTraining?: () => boolean;
}

export class StudyRunError extends Error {
  override name = 'StudyRunError';
}

type StudyDataset = StudyConfig['datasets']['internal'];
type EvaluationSplit = 'val' | 'test' | 'all';

/** The steps of a study, in order: import, train, evaluate (val for thresholds, internal test, external), LLM arm. */
export function planStudySteps(plan: ResolvedStudyPlan, env: NodeJS.ProcessEnv): StudyStep[] {
  const modelSteps = plan.seeds.flatMap((seed) => plan.config.models.flatMap((model) => [trainStep(plan, model, seed), ...evaluationSteps(plan, model, seed)]));
  return [...studyDatasets(plan.config).map(importStep), ...modelSteps, ...llmSteps(plan, env)];
}

/** The internal dataset, then the external one when the config has it. */
export function studyDatasets(config: StudyConfig): StudyDataset[] {
  return config.datasets.external ? [config.datasets.internal, config.datasets.external] : [config.datasets.internal];
}

/** The CNNs' input size: study.yaml's `input`, else the profile's. */
export function studyInputSize(plan: ResolvedStudyPlan): { inputHeight: number; inputWidth: number } {
  const settings = PROFILE_SETTINGS[plan.config.profile];
  return plan.config.input ? parseInputSize(plan.config.input) : { inputHeight: settings.inputHeight, inputWidth: settings.inputWidth };
}

/** What one training run of the study is, as `trainRun` (or a child process) takes it. */
export function trainSpec(plan: ResolvedStudyPlan, model: Architecture, seed: number, experimentId: number): TrainRunSpec {
  const { config } = plan;
  return {
    model,
    dataset: config.datasets.internal.name,
    seed,
    profile: config.profile,
    experimentId,
    resume: true,
    overrides: {
      gridStyle: PAGE_GRID_STYLES[config.trainStyle],
      augment: plan.augment,
      ...(config.leadGroupHead ? { leadGroupHead: config.leadGroupHead } : {}),
      ...(config.dropout !== undefined ? { dropout: config.dropout } : {}),
      ...(config.groupTargets ? { groupTargets: true } : {}),
      ...studyInputSize(plan),
      maxTrainSamples: plan.recordLimits.train,
      maxValSamples: plan.recordLimits.val,
      // The study's own evaluate step scores the test split (with attributions); training skips it.
      maxTestSamples: 0,
    },
  };
}

function importStep(dataset: StudyDataset): StudyStep {
  return {
    key: `import:${dataset.name}`,
    title: `import ${dataset.name} (${dataset.kind})`,
    weight: dataset.kind === 'ptbxl' ? 40 : 10,
    done: async ({ db }) => {
      const existing = await new DatasetStore(db).getByName(dataset.name);
      return existing !== undefined && (await new RecordStore(db).count({ datasetId: existing.id })) > 0;
    },
    run: async ({ db, dataDir }, progress) => {
      const path = isAbsolute(dataset.path) ? dataset.path : resolve(dataDir, dataset.path);
      await importDataset(db, { kind: dataset.kind, path, name: dataset.name }, (p) => progress(p.done, p.total));
    },
  };
}

function trainWeight(plan: ResolvedStudyPlan): number {
  return plan.config.profile === 'quick' ? 60 : 600;
}

function trainStep(plan: ResolvedStudyPlan, model: Architecture, seed: number): StudyStep {
  return {
    key: `train:${model}:${seed}`,
    title: `train ${model} seed ${seed}`,
    weight: trainWeight(plan) * ARCHITECTURE_SPECS[model].relativeTrainCost,
    done: async ({ db, experimentId }) => (await finishedTrainRun(db, experimentId, model, seed)) !== undefined,
    parallel: { model, seed },
    model,
    run: async ({ db, experimentId }, progress) => {
      await trainRun(db, { ...trainSpec(plan, model, seed, experimentId), onBatch: (b) => progress(b.step, b.totalSteps) });
    },
  };
}

function evaluationSteps(plan: ResolvedStudyPlan, model: Architecture, seed: number): StudyStep[] {
  const { internal, external } = plan.config.datasets;
  const evaluations: { dataset: string; split: EvaluationSplit; limit: number | null }[] = [
    { dataset: internal.name, split: 'val', limit: plan.recordLimits.val },
    { dataset: internal.name, split: 'test', limit: plan.recordLimits.test },
    ...(external ? [{ dataset: external.name, split: 'all' as const, limit: plan.recordLimits.external }] : []),
  ];
  return evaluations.map((evaluation) => ({
    key: `evaluate:${model}:${seed}:${evaluation.dataset}:${evaluation.split}`,
    title: `evaluate ${model} seed ${seed} on ${evaluation.dataset} ${evaluation.split}`,
    weight: trainWeight(plan) / 4,
    model,
    done: async ({ db, experimentId }) => {
      const train = await finishedTrainRun(db, experimentId, model, seed);
      return train !== undefined && (await evaluationDone(db, experimentId, train, evaluation.dataset, evaluation.split));
    },
    run: async ({ db, experimentId, childrenTraining }, progress) => {
      const train = await finishedTrainRun(db, experimentId, model, seed);
      if (!train) throw new StudyRunError(`no finished train run of ${model} seed ${seed} to evaluate`);
      await evaluateRun(db, {
        runId: train.id,
        dataset: evaluation.dataset,
        split: evaluation.split,
        maxSamples: evaluation.limit,
        engine: plan.config.evaluation.engine,
        // While children train on both cores, one inference thread.
        onnxThreads: childrenTraining?.() ? 1 : undefined,
        onProgress: progress,
      });
    },
  }));
}

function llmSteps(plan: ResolvedStudyPlan, env: NodeJS.ProcessEnv): StudyStep[] {
  const { config } = plan;
  const settings = {
    dpi: config.llm.dpi ?? LLM_ARM_DEFAULTS.dpi,
    temperature: config.llm.temperature ?? LLM_ARM_DEFAULTS.temperature,
    concurrency: config.llm.concurrency ?? LLM_ARM_DEFAULTS.concurrency,
    timeoutS: config.llm.timeoutS ?? LLM_ARM_DEFAULTS.timeoutS,
  };
  return configuredLlmModels(config, env).models.flatMap((llm) =>
    config.llm.styles.map(
      (style): StudyStep => ({
        key: `llm:${llm.provider}:${llm.model}:${style}`,
        title: `ask ${llm.model} (${style} pages)`,
        weight: plan.llm.limit * plan.llm.repeats * 0.5,
        done: async () => false,
        run: async ({ db, experimentId }, progress) => {
          // A re-run is cheap: every answer already stored is served from the response cache.
          const input = {
            provider: providerFromEnv(llm.provider, llm.model, env),
            datasetName: config.datasets.internal.name,
            split: 'test' as const,
            limit: plan.llm.limit,
            repeats: plan.llm.repeats,
            style,
            dpi: settings.dpi,
            promptName: config.llm.prompt,
            temperature: settings.temperature,
            concurrency: settings.concurrency,
            timeoutMs: settings.timeoutS * 1000,
            experimentId,
            bootstrap: { resamples: config.statistics.bootstrapResamples, seed: config.statistics.seed },
          };
          await runLlmArm(db, input, (phase) => progress(phase.done, phase.total));
        },
      }),
    ),
  );
}

/** Which LLM providers the environment configures; the reason when none is. */
export function configuredLlmModels(config: StudyConfig, env: NodeJS.ProcessEnv): { models: StudyConfig['llm']['models']; skippedReason: string | null } {
  if (config.llm.mode === 'off') return { models: [], skippedReason: 'the config sets llm.mode: off' };
  const compatibleUrl = env[PROVIDER_ENV.compatible.baseUrl]?.trim();
  // A compatible endpoint in the environment (vLLM, Ollama, PULSE-7B) joins the arm without a config edit.
  const compatibleModel = env.LEADWISE_COMPAT_MODEL?.trim();
  const listed =
    compatibleUrl && compatibleModel && !config.llm.models.some((m) => m.provider === 'compatible')
      ? [...config.llm.models, { provider: 'compatible' as const, model: compatibleModel }]
      : config.llm.models;
  const configured = listed.filter((m) => Boolean(env[PROVIDER_ENV[m.provider].key]?.trim() || (m.provider === 'compatible' && compatibleUrl)));
  if (configured.length > 0) return { models: configured, skippedReason: null };
  if (config.llm.models.length === 0) return { models: [], skippedReason: 'the config lists no LLM models' };
  const wanted = [
    ...new Set(config.llm.models.map((m) => (m.provider === 'compatible' ? PROVIDER_ENV.compatible.baseUrl : PROVIDER_ENV[m.provider].key))),
    `${PROVIDER_ENV.compatible.baseUrl} with LEADWISE_COMPAT_MODEL`,
  ];
  return {
    models: [],
    skippedReason: `no provider is configured in the environment (none of ${wanted.join(', ')} is set); keys are read only from the environment`,
  };
}

async function finishedTrainRun(db: LeadwiseDatabase, experimentId: number, model: string, seed: number): Promise<Run | undefined> {
  const finished = await new RunStore(db).listByExperiment(experimentId, { kind: 'train', status: 'finished', model });
  return finished.find((run) => run.seed === seed);
}

async function evaluationDone(db: LeadwiseDatabase, experimentId: number, trainRun: Run, datasetName: string, split: EvaluationSplit): Promise<boolean> {
  const dataset = await new DatasetStore(db).getByName(datasetName);
  if (!dataset) return false;
  const store = new RunStore(db);
  const evaluations = (await store.listByExperiment(experimentId, { kind: 'evaluate', status: 'finished' })).filter(
    (run) => run.parentRunId === trainRun.id && run.datasetId === dataset.id,
  );
  // Internal val and test evaluations share a dataset; tell them apart by their split param.
  const splits = await store.paramsForRuns(evaluations.map((run) => run.id));
  return [...splits.values()].some((params) => params.split === split || (split === 'all' && params.split !== 'val' && params.split !== 'test'));
}
