import { execFileSync } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { and, asc, eq, isNull, max } from 'drizzle-orm';
import { AttributionStore, DatasetStore, ExperimentStore, RecordStore, RunStore, runs, type LeadwiseDatabase, type Run } from '@leadwise/db';
import { readWfdbRecord, resolveEcgDataDir } from '@leadwise/ecg';
import { getPrompt, PROVIDER_ENV, providerFromEnv } from '@leadwise/llm';
import { countTrainableParams, createModel, parseInputSize, parseModelConfig, PROFILE_SETTINGS, selectBackend, type Architecture } from '@leadwise/models';
import { DEFAULT_RENDER_OPTIONS, PAGE_GRID_STYLES, renderPage } from '@leadwise/render';
import { importDataset } from '../import/index.ts';
import { runLlmArm } from '../llm-arm/index.ts';
import { gatherStudyReport } from '../report/gather-report.ts';
import type { ExamplePage, LlmRow, PromptSection } from '../report/report-data.ts';
import { writeReport, type WrittenReport } from '../report/report-writer.ts';
import { writeExperimentPredictions } from '../predictions/run-predictions.ts';
import { LLM_METRIC_KEYS } from '../llm-arm/run-llm-arm.ts';
import { SUMMARY_METRIC_KEYS } from '../summary/index.ts';
import { evaluateRun, trainRun, trainRunsInParallel, type TrainRunSpec } from '../training/index.ts';
import type { ResolvedStudyPlan, StudyConfig } from './study-config.ts';

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

export interface StudyProgress {
  step: number;
  steps: number;
  title: string;
  skipped: boolean;
  /** Progress inside the step, when the step reports it. */
  done?: number;
  total?: number;
  /** Remaining-time estimate for the whole study, from measured step times and step weights. */
  etaS: number | null;
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

export interface RunStudyOptions {
  plan: ResolvedStudyPlan;
  dataDir?: string;
  /** Root folder of reports; default the config's `report.out` relative to the current directory. */
  reportDir?: string;
  onProgress?: (progress: StudyProgress) => void;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /**
   * Train the study's runs `processes` at a time in child processes, one per core (needs PostgreSQL:
   * an embedded PGlite database belongs to one process). Evaluations then run in this process.
   */
  parallelTraining?: { processes: number; databaseUrl: string } | null;
  /**
   * Write the report of the existing experiment from what the database holds, running no step
   * (e.g. to redraw it, or to report a study stopped early); refuses when no experiment matches.
   */
  reportOnly?: boolean;
  /**
   * Run only these models' training and evaluation steps (and the imports) of the experiment now,
   * e.g. one arm while another model's code is still changing; the experiment stays the config's,
   * a later full run skips what these steps finished, and the report covers what is stored.
   */
  onlyModels?: readonly Architecture[];
}

export interface RunStudyResult {
  experimentId: number;
  created: boolean;
  report: WrittenReport;
  stepsRun: number;
  stepsSkipped: number;
  llmSkippedReason: string | null;
  wallTimeS: number;
}

export class StudyRunError extends Error {
  override name = 'StudyRunError';
}

const MODEL_DESCRIPTIONS: Record<Architecture, string> = {
  leadgroup:
    'LeadGroupECG (residual head): ResNet18 + a zero-initialised lead-group branch (mean and max of the stride-16 map in the 12 panels and the rhythm strip, lead self-attention, five group vectors, attention over groups)',
  resnet18: 'ResNet18 (BasicBlock [2,2,2,2])',
  densenet121: 'DenseNet121 (blocks [6,12,24,16], growth 32, bottleneck 4, compression 0.5)',
  vgg16: 'VGG16 (13 conv layers)',
};

function dataPath(dataDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dataDir, path);
}

async function finishedRun(db: LeadwiseDatabase, experimentId: number, kind: Run['kind'], model: string, seed: number, parentRunId?: number, datasetId?: number): Promise<Run | undefined> {
  const rows = await db
    .select()
    .from(runs)
    .where(and(eq(runs.experimentId, experimentId), eq(runs.kind, kind), eq(runs.model, model), eq(runs.seed, seed), eq(runs.status, 'finished'), isNull(runs.deletedAt)))
    .orderBy(asc(runs.id));
  return rows.find((r) => (parentRunId === undefined || r.parentRunId === parentRunId) && (datasetId === undefined || r.datasetId === datasetId));
}

async function evaluationDone(db: LeadwiseDatabase, experimentId: number, trainRun: Run, datasetName: string, split: string): Promise<boolean> {
  const dataset = await new DatasetStore(db).getByName(datasetName);
  if (!dataset) return false;
  const evaluations = await db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.experimentId, experimentId), eq(runs.kind, 'evaluate'), eq(runs.parentRunId, trainRun.id), eq(runs.datasetId, dataset.id), eq(runs.status, 'finished'), isNull(runs.deletedAt)));
  if (evaluations.length === 0) return false;
  // Internal val and test evaluations share a dataset; tell them apart by their split param.
  const store = new RunStore(db);
  for (const e of evaluations) {
    const params = await store.getParams(e.id);
    if (params.split === split || (split === 'all' && params.split !== 'val' && params.split !== 'test')) return true;
  }
  return false;
}

/** Which LLM providers the environment configures; the reason when none is. */
export function configuredLlmModels(config: StudyConfig, env: NodeJS.ProcessEnv): { models: StudyConfig['llm']['models']; skippedReason: string | null } {
  if (config.llm.mode === 'off') return { models: [], skippedReason: 'the config sets llm.mode: off' };
  // A compatible endpoint in the environment (vLLM, Ollama, PULSE-7B) joins the arm without a config edit.
  const compatibleModel = env.LEADWISE_COMPAT_MODEL?.trim();
  const listed =
    env[PROVIDER_ENV.compatible.baseUrl]?.trim() && compatibleModel && !config.llm.models.some((m) => m.provider === 'compatible')
      ? [...config.llm.models, { provider: 'compatible' as const, model: compatibleModel }]
      : config.llm.models;
  const configured = listed.filter((m) => Boolean(env[PROVIDER_ENV[m.provider].key]?.trim() || (m.provider === 'compatible' && env[PROVIDER_ENV.compatible.baseUrl]?.trim())));
  if (configured.length > 0) return { models: configured, skippedReason: null };
  const wanted = [
    ...new Set(config.llm.models.map((m) => (m.provider === 'compatible' ? PROVIDER_ENV.compatible.baseUrl : PROVIDER_ENV[m.provider].key))),
    `${PROVIDER_ENV.compatible.baseUrl} with LEADWISE_COMPAT_MODEL`,
  ];
  return {
    models: [],
    skippedReason:
      config.llm.models.length === 0
        ? 'the config lists no LLM models'
        : `no provider is configured in the environment (none of ${wanted.join(', ')} is set); keys are read only from the environment`,
  };
}

/** Relative wall time of a training run at the study profiles (docs/benchmarks.md), for the ETA. */
const TRAIN_COST: Record<Architecture, number> = { leadgroup: 1.2, resnet18: 1, densenet121: 2.2, vgg16: 3 };

/** The CNNs' input size: study.yaml's `input`, else the profile's. */
function studyInputSize(plan: ResolvedStudyPlan): { inputHeight: number; inputWidth: number } {
  const settings = PROFILE_SETTINGS[plan.config.profile];
  return plan.config.input ? parseInputSize(plan.config.input) : { inputHeight: settings.inputHeight, inputWidth: settings.inputWidth };
}

/** What one training run of the study is, as `trainRun` (or a child process) takes it. */
function trainSpec(plan: ResolvedStudyPlan, model: Architecture, seed: number, experimentId: number): TrainRunSpec {
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

/** The steps of a study, in order: import, train, evaluate (val for thresholds, internal test, external), LLM arm. */
export function planStudySteps(plan: ResolvedStudyPlan, env: NodeJS.ProcessEnv): StudyStep[] {
  const { config } = plan;
  const internal = config.datasets.internal;
  const external = config.datasets.external;
  const profile = config.profile;
  const steps: StudyStep[] = [];
  for (const dataset of [internal, external].filter((d): d is NonNullable<typeof d> => Boolean(d))) {
    steps.push({
      key: `import:${dataset.name}`,
      title: `import ${dataset.name} (${dataset.kind})`,
      weight: dataset.kind === 'ptbxl' ? 40 : 10,
      done: async ({ db }) => {
        const existing = await new DatasetStore(db).getByName(dataset.name);
        return Boolean(existing) && (await new RecordStore(db).count({ datasetId: existing!.id })) > 0;
      },
      run: async ({ db, dataDir }, progress) => {
        await importDataset(db, { kind: dataset.kind, path: dataPath(dataDir, dataset.path), name: dataset.name }, (p) => progress(p.done, p.total));
      },
    });
  }
  const trainWeight = profile === 'quick' ? 60 : 600;
  for (const seed of plan.seeds) {
    for (const model of config.models) {
      steps.push({
        key: `train:${model}:${seed}`,
        title: `train ${model} seed ${seed}`,
        weight: trainWeight * TRAIN_COST[model],
        done: async ({ db, experimentId }) => Boolean(await finishedRun(db, experimentId, 'train', model, seed)),
        parallel: { model, seed },
        model,
        run: async ({ db, experimentId }, progress) => {
          await trainRun(db, { ...trainSpec(plan, model, seed, experimentId), onBatch: (b) => progress(b.step, b.totalSteps) });
        },
      });
      const evaluations: { dataset: string; split: 'val' | 'test' | 'all'; limit: number | null }[] = [
        { dataset: internal.name, split: 'val', limit: plan.recordLimits.val },
        { dataset: internal.name, split: 'test', limit: plan.recordLimits.test },
        ...(external ? [{ dataset: external.name, split: 'all' as const, limit: plan.recordLimits.external }] : []),
      ];
      for (const evaluation of evaluations) {
        steps.push({
          key: `evaluate:${model}:${seed}:${evaluation.dataset}:${evaluation.split}`,
          title: `evaluate ${model} seed ${seed} on ${evaluation.dataset} ${evaluation.split}`,
          weight: trainWeight / 4,
          model,
          done: async ({ db, experimentId }) => {
            const train = await finishedRun(db, experimentId, 'train', model, seed);
            return Boolean(train) && (await evaluationDone(db, experimentId, train!, evaluation.dataset, evaluation.split));
          },
          run: async ({ db, experimentId, childrenTraining }, progress) => {
            const train = await finishedRun(db, experimentId, 'train', model, seed);
            if (!train) throw new StudyRunError(`no finished train run of ${model} seed ${seed} to evaluate`);
            await evaluateRun(db, {
              runId: train.id,
              dataset: evaluation.dataset,
              split: evaluation.split,
              maxSamples: evaluation.limit,
              engine: config.evaluation.engine,
              // While children train on both cores, one inference thread.
              onnxThreads: childrenTraining?.() ? 1 : undefined,
              onProgress: progress,
            });
          },
        });
      }
    }
  }
  const { models: llmModels } = configuredLlmModels(config, env);
  for (const llm of llmModels) {
    for (const style of config.llm.styles) {
      steps.push({
        key: `llm:${llm.provider}:${llm.model}:${style}`,
        title: `ask ${llm.model} (${style} pages)`,
        weight: plan.llm.limit * plan.llm.repeats * 0.5,
        done: async () => false,
        run: async ({ db, experimentId }, progress) => {
          // A re-run is cheap: every answer already stored is served from the response cache.
          await runLlmArm(
            db,
            {
              provider: providerFromEnv(llm.provider, llm.model, env),
              datasetName: internal.name,
              split: 'test',
              limit: plan.llm.limit,
              repeats: plan.llm.repeats,
              style,
              dpi: 100,
              promptName: config.llm.prompt,
              temperature: 0,
              concurrency: 4,
              timeoutMs: 120_000,
              experimentId,
              bootstrap: { resamples: config.statistics.bootstrapResamples, seed: config.statistics.seed },
            },
            (phase) => progress(phase.done, phase.total),
          );
        },
      });
    }
  }
  return steps;
}

/**
 * Runs a study end to end and writes its report. Resumable: the experiment is keyed by the resolved
 * plan's hash, each step checks the database for its own result first, and training resumes from
 * its last epoch checkpoint; a changed config hashes differently and starts a new experiment.
 */
export async function runStudy(db: LeadwiseDatabase, options: RunStudyOptions): Promise<RunStudyResult> {
  const startMs = Date.now();
  const env = options.env ?? process.env;
  const log = options.log ?? ((): void => undefined);
  const { plan } = options;
  const dataDir = options.dataDir ?? resolveEcgDataDir(env);
  if (options.reportOnly) {
    const existing = await new ExperimentStore(db).getByConfigHash(plan.hash);
    if (!existing) throw new StudyRunError(`no experiment has this config (hash ${plan.hash.slice(0, 12)}): run the study first`);
  }
  const { experiment, created } = await new ExperimentStore(db).createOrGet({
    name: plan.config.name,
    // The resolved config at top level (the API and the summary read `datasets.internal.name`),
    // with what the profile decided beside it.
    config: JSON.parse(JSON.stringify({ ...plan.config, plan: { seeds: plan.seeds, recordLimits: plan.recordLimits, llm: plan.llm } })) as Record<string, unknown>,
    configHash: plan.hash,
  });
  log(`${created ? 'created' : 'resuming'} experiment ${experiment.id} (${plan.config.name}, profile ${plan.config.profile}, config ${plan.hash.slice(0, 12)})`);
  let runsInChildren = 0;
  const ctx: StudyContext = { db, plan, experimentId: experiment.id, dataDir, log, childrenTraining: () => runsInChildren > 0 };
  const onlyModels = options.onlyModels;
  const steps = planStudySteps(plan, env).filter((step) => !onlyModels || (step.model ? onlyModels.includes(step.model) : step.key.startsWith('import:')));
  const totalWeight = steps.reduce((s, step) => s + step.weight, 0);
  let weightDone = 0;
  let measuredSeconds = 0;
  let measuredWeight = 0;
  let stepsRun = 0;
  let stepsSkipped = 0;
  const eta = () => {
    const remaining = totalWeight - weightDone;
    if (measuredWeight === 0) return null;
    return (measuredSeconds / measuredWeight) * remaining;
  };
  // With child processes, every pending training run is started (two at a time) when the first
  // one is reached, after the imports; the loop then waits for each run as it reaches its train
  // step and evaluates it while the children train the next runs, so evaluation overlaps training.
  let parallelPhaseStarted = !(options.parallelTraining && options.parallelTraining.processes > 1);
  const trainedInChild = new Map<string, Promise<void>>();
  let trainingPhase: Promise<unknown> = Promise.resolve();
  // A failed step stops the children too: none keeps training for a study that has ended.
  const stopTraining = new AbortController();
  let waitingForTraining: { index: number; title: string } | null = null;
  const startParallelTraining = async (): Promise<void> => {
    parallelPhaseStarted = true;
    const parallelTraining = options.parallelTraining!;
    const pending: StudyStep[] = [];
    for (const step of steps) if (step.parallel && !(await step.done(ctx))) pending.push(step);
    if (pending.length < 2) return;
    log(`training ${pending.length} runs in ${Math.min(parallelTraining.processes, pending.length)} processes; evaluating each as it finishes`);
    const settle = new Map<string, (error: Error | null) => void>();
    for (const step of pending) {
      const promise = new Promise<void>((resolve, reject) => settle.set(step.key, (error) => (error ? reject(error) : resolve())));
      promise.catch(() => undefined); // observed when its step is reached
      trainedInChild.set(step.key, promise);
    }
    const progressByRun = new Map<string, number>();
    runsInChildren = pending.length;
    trainingPhase = trainRunsInParallel(
      pending.map((step) => trainSpec(plan, step.parallel!.model, step.parallel!.seed, experiment.id)),
      {
        ...parallelTraining,
        signal: stopTraining.signal,
        onRunSettled: (spec, error) => {
          runsInChildren -= 1;
          settle.get(`train:${spec.model}:${spec.seed}`)?.(error);
        },
        onBatch: (spec, step, totalSteps) => {
          progressByRun.set(`${spec.model}:${spec.seed}`, step / Math.max(totalSteps, 1));
          if (!waitingForTraining) return;
          const done = [...progressByRun.values()].reduce((a, b) => a + b, 0);
          options.onProgress?.({
            step: waitingForTraining.index + 1,
            steps: steps.length,
            title: `${waitingForTraining.title} (${pending.length} runs in ${parallelTraining.processes} processes)`,
            skipped: false,
            done: Math.floor(done * 100),
            total: pending.length * 100,
            etaS: eta(),
          });
        },
      },
    );
    trainingPhase.catch(() => undefined); // every failure also rejects its run's step
  };
  for (const [index, step] of options.reportOnly ? [] : steps.entries()) {
    if (step.parallel && !parallelPhaseStarted) await startParallelTraining();
    const inChild = trainedInChild.get(step.key);
    if (inChild) {
      const waitStart = Date.now();
      waitingForTraining = { index, title: step.title };
      try {
        await inChild;
      } catch (error) {
        stopTraining.abort();
        throw new StudyRunError(`step "${step.title}" failed: ${(error as Error).message}`);
      } finally {
        waitingForTraining = null;
      }
      const seconds = (Date.now() - waitStart) / 1000;
      measuredSeconds += seconds;
      measuredWeight += step.weight;
      weightDone += step.weight;
      stepsRun++;
      log(`done: ${step.title} (in a child process; waited ${seconds.toFixed(1)} s)`);
      continue;
    }
    const report = (extra: Partial<StudyProgress>) =>
      options.onProgress?.({ step: index + 1, steps: steps.length, title: step.title, skipped: false, etaS: eta(), ...extra });
    if (await step.done(ctx)) {
      stepsSkipped++;
      weightDone += step.weight;
      report({ skipped: true });
      continue;
    }
    report({});
    const stepStart = Date.now();
    try {
      await step.run(ctx, (done, total) => report({ done, total }));
    } catch (error) {
      stopTraining.abort();
      throw new StudyRunError(`step "${step.title}" failed: ${(error as Error).message}`);
    }
    const seconds = (Date.now() - stepStart) / 1000;
    measuredSeconds += seconds;
    measuredWeight += step.weight;
    weightDone += step.weight;
    stepsRun++;
    log(`done: ${step.title} (${seconds.toFixed(1)} s)`);
  }

  options.onProgress?.({ step: steps.length, steps: steps.length, title: 'write report', skipped: false, etaS: 0 });
  const llm = configuredLlmModels(plan.config, env);
  const report = await writeStudyReport(ctx, {
    reportDir: options.reportDir ?? plan.config.report.out,
    llmSkippedReason: llm.skippedReason,
    // A report-only run reports the study's own span: from the experiment's creation to its last run's end.
    wallTimeS: options.reportOnly ? await experimentSpanSeconds(db, experiment.id, experiment.createdAt) : (Date.now() - startMs) / 1000,
  });
  return { experimentId: experiment.id, created, report, stepsRun, stepsSkipped, llmSkippedReason: llm.skippedReason, wallTimeS: (Date.now() - startMs) / 1000 };
}

async function experimentSpanSeconds(db: LeadwiseDatabase, experimentId: number, createdAt: Date): Promise<number> {
  const [row] = await db
    .select({ lastEnd: max(runs.endTime) })
    .from(runs)
    .where(and(eq(runs.experimentId, experimentId), isNull(runs.deletedAt)));
  const lastEnd = row?.lastEnd ? new Date(row.lastEnd) : createdAt;
  return Math.max(0, (lastEnd.getTime() - createdAt.getTime()) / 1000);
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function examplePages(ctx: StudyContext): Promise<ExamplePage[]> {
  const pages: ExamplePage[] = [];
  const datasets = [ctx.plan.config.datasets.internal, ctx.plan.config.datasets.external].filter((d): d is NonNullable<typeof d> => Boolean(d));
  for (const dataset of datasets) {
    const row = await new DatasetStore(ctx.db).getByName(dataset.name);
    if (!row) continue;
    const first = (await new RecordStore(ctx.db).list({ datasetId: row.id }, { limit: 1 })).items[0];
    if (!first) continue;
    const recording = await readWfdbRecord(first.signalPath);
    for (const gridStyle of Object.values(PAGE_GRID_STYLES)) {
      const { png } = renderPage(recording, { gridStyle, dpi: 100 });
      pages.push({
        caption: `${dataset.name} ${first.externalId} (${first.label}), ${gridStyle === 'red' ? 'red grid' : 'grid-free'}, 100 DPI`,
        pngDataUri: `data:image/png;base64,${Buffer.from(png).toString('base64')}`,
        groupWeights: await attentionFor(ctx, first.id),
      });
    }
  }
  return pages;
}

/** LeadGroupECG's mean attention per group on one record across its evaluation runs, if any. */
async function attentionFor(ctx: StudyContext, recordId: number): Promise<Record<string, number> | undefined> {
  const rows = (await new AttributionStore(ctx.db).byRecord(recordId)).filter((r) => r.attentionWeight !== null);
  if (rows.length === 0) return undefined;
  const sums = new Map<string, { total: number; n: number }>();
  for (const r of rows) {
    const s = sums.get(r.groupName) ?? { total: 0, n: 0 };
    s.total += r.attentionWeight!;
    s.n++;
    sums.set(r.groupName, s);
  }
  return Object.fromEntries([...sums].map(([g, s]) => [g, s.total / s.n]));
}

async function llmRows(ctx: StudyContext): Promise<LlmRow[]> {
  const store = new RunStore(ctx.db);
  const llmRuns = await ctx.db
    .select()
    .from(runs)
    .where(and(eq(runs.experimentId, ctx.experimentId), eq(runs.kind, 'llm'), eq(runs.status, 'finished'), isNull(runs.deletedAt)))
    .orderBy(asc(runs.id));
  const rows: LlmRow[] = [];
  for (const run of llmRuns) {
    const params = await store.getParams(run.id);
    const series = await store.getMetricSeries(run.id);
    const latest = new Map((await store.getLatestMetrics(run.id)).map((m) => [m.key, m.value]));
    const base = {
      provider: params.provider ?? run.backend ?? '',
      model: run.model,
      style: params.style ?? params.image_style ?? '',
      scoreSource: params.score_source ?? params.scoreSource ?? '',
      hardLabel: (latest.get(LLM_METRIC_KEYS.hardLabelOnly) ?? 0) > 0,
    };
    const repeats = series.filter((m) => m.key === LLM_METRIC_KEYS.repeatRocAuc);
    for (const r of repeats) {
      const pr = series.find((m) => m.key === LLM_METRIC_KEYS.repeatPrAuc && m.step === r.step);
      const scored = series.find((m) => m.key === LLM_METRIC_KEYS.repeatScored && m.step === r.step);
      rows.push({ ...base, repeat: r.step, n: Number(latest.get(SUMMARY_METRIC_KEYS.n) ?? 0), parsed: Number(scored?.value ?? 0), rocAuc: r.value, rocCi: null, prAuc: pr?.value ?? null });
    }
    rows.push({
      ...base,
      repeat: 'pooled',
      n: Number(latest.get(SUMMARY_METRIC_KEYS.n) ?? 0),
      parsed: Number(latest.get(SUMMARY_METRIC_KEYS.n) ?? 0) - Number(latest.get(LLM_METRIC_KEYS.unparsed) ?? 0),
      rocAuc: latest.get(SUMMARY_METRIC_KEYS.rocAuc) ?? null,
      rocCi: latest.has(SUMMARY_METRIC_KEYS.rocAucCiLow) ? [latest.get(SUMMARY_METRIC_KEYS.rocAucCiLow)!, latest.get(SUMMARY_METRIC_KEYS.rocAucCiHigh)!] : null,
      prAuc: latest.get(SUMMARY_METRIC_KEYS.prAuc) ?? null,
    });
  }
  return rows;
}

async function modelDescriptions(plan: ResolvedStudyPlan): Promise<Record<string, { description: string; parameterCount: number }>> {
  // Built on the backend training uses, so parameter counts come from the same graphs.
  await selectBackend({ log: () => undefined });
  const settings = PROFILE_SETTINGS[plan.config.profile];
  const out: Record<string, { description: string; parameterCount: number }> = {};
  for (const model of plan.config.models) {
    const network = createModel(
      parseModelConfig({
        architecture: model,
        ...studyInputSize(plan),
        widthMultiplier: settings.widthMultiplier,
        vggBatchNorm: settings.vggBatchNorm,
        ...(plan.config.leadGroupHead ? { leadGroupHead: plan.config.leadGroupHead } : {}),
        ...(plan.config.groupTargets ? { groupTargets: true } : {}),
      }),
    );
    let description =
      model === 'vgg16' && settings.vggBatchNorm
        ? `${MODEL_DESCRIPTIONS.vgg16}, with batch normalisation (vgg16_bn)`
        : model === 'leadgroup' && plan.config.leadGroupHead === 'paper'
          ? 'LeadGroupECG (paper head): ResNet18, per-lead pooling of the final map in the 12 panels, group means, attention over groups'
          : MODEL_DESCRIPTIONS[model];
    if (plan.config.groupTargets) description += '; auxiliary localised-statement targets per lead group (training only, counted in the parameters)';
    out[model] = { description, parameterCount: countTrainableParams(network.model) };
    network.model.dispose();
  }
  return out;
}

export async function writeStudyReport(ctx: StudyContext, options: { reportDir: string; llmSkippedReason: string | null; wallTimeS: number }): Promise<WrittenReport> {
  const { plan } = ctx;
  const prompt = getPrompt(plan.config.llm.prompt);
  const prompts: PromptSection[] = [{ name: prompt.name, version: String(prompt.version), sha256: prompt.sha256, text: prompt.text }];
  const data = await gatherStudyReport(ctx.db, {
    experimentId: ctx.experimentId,
    internalDataset: plan.config.datasets.internal.name,
    externalDataset: plan.config.datasets.external?.name ?? null,
    internalTestSplit: 'test',
    seeds: plan.seeds,
    profile: plan.config.profile,
    commit: gitCommit(),
    wallTimeS: options.wallTimeS,
    bootstrapResamples: plan.config.statistics.bootstrapResamples,
    confidenceLevel: plan.config.statistics.confidenceLevel,
    bootstrapSeed: plan.config.statistics.seed,
    render: {
      layout: '3x4 + lead II rhythm strip (standard)',
      paperSpeedMmPerS: DEFAULT_RENDER_OPTIONS.paperSpeedMmPerS,
      gainMmPerMv: DEFAULT_RENDER_OPTIONS.gainMmPerMv,
      trainStyle: plan.config.trainStyle === 'grid' ? 'red grid' : 'grid-free',
      trainingInput: `${studyInputSize(plan).inputHeight}x${studyInputSize(plan).inputWidth} grayscale`,
      llmPages: `${plan.config.llm.styles.join(' and ')} at 100 DPI, no header`,
    },
    examplePages: await examplePages(ctx),
    modelDescriptions: await modelDescriptions(plan),
    llm: { skippedReason: options.llmSkippedReason, prompts, rows: options.llmSkippedReason ? [] : await llmRows(ctx) },
  });
  const written = await writeReport(data, resolve(options.reportDir));
  // Per-record predictions of every evaluation, for scikit-learn, pROC or a spreadsheet.
  const predictionPaths = await writeExperimentPredictions(ctx.db, ctx.experimentId, written.dir);
  return { ...written, csvPaths: [...written.csvPaths, ...predictionPaths] };
}

