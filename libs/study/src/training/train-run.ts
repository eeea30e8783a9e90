import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExperimentStore, resolveLeadwiseHome, RunStore, withRun, type Dataset, type LeadwiseDatabase, type ParamValue, type Run } from '@leadwise/db';
import {
  LAST_CHECKPOINT,
  parseModelConfig,
  parseTrainConfig,
  predictSource,
  recoverCheckpoint,
  PROFILE_SETTINGS,
  profileEpochs,
  backendEngineName,
  DATA_PARALLEL_ENV_VAR,
  parseDataParallel,
  selectBackend,
  trainModel,
  type Architecture,
  type Backbone,
  type BatchProgress,
  type EpochMetrics,
  type LeadGroupHead,
  type ModelConfig,
  type TrainConfig,
  type LeadwiseModel,
  type TrainingProfile,
} from '@leadwise/models';
import { averagePrecision, rocAuc } from '@leadwise/metrics';
import { TRAIN_PARAM_KEYS } from '../run-param-keys.ts';
import { RecordSampleSource, type RecordSampleSourceOptions, type TrainingRecord } from './record-sample-source.ts';
import { labelledRecords, requireDataset, stratifiedSubset, TrainingDataError } from './training-records.ts';
import type { PageGridStyle } from '@leadwise/render';

/** Settings a user may change from the profile's defaults (`leadwise train --epochs ...`). */
export interface TrainOverrides {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  inputHeight?: number;
  inputWidth?: number;
  widthMultiplier?: number;
  backbone?: Backbone;
  /** 16 or 32 (ResNet18 backbone only; see ModelConfig.outputStride). */
  outputStride?: 16 | 32;
  /** LeadGroupECG's head: 'residual' (default) or the published 'paper' head, for the comparison. */
  leadGroupHead?: LeadGroupHead;
  /** Dropout before the classifier (ModelConfig.dropout; default 0.2). */
  dropout?: number;
  /** Train the auxiliary localised-statement targets per lead group (ModelConfig.groupTargets; default off). */
  groupTargets?: boolean;
  /** Caps on records per split (stratified); null = the whole split. */
  maxTrainSamples?: number | null;
  maxValSamples?: number | null;
  maxTestSamples?: number | null;
  gridStyle?: PageGridStyle;
  patience?: number;
  /** Draw training pages with the default augmentations (the profile's `augment` otherwise). */
  augment?: boolean;
}

export interface TrainRunOptions {
  model: Architecture;
  /** Dataset name as imported; its records' `split` (train/val/test) defines the splits. */
  dataset: string;
  seed: number;
  profile: TrainingProfile;
  overrides?: TrainOverrides;
  /** Experiment the run belongs to; by default one ad-hoc experiment per (dataset, profile). */
  experimentId?: number;
  /** Continue the latest unfinished run of the same model, dataset and seed from its last checkpoint. */
  resume?: boolean;
  /**
   * Train this run (queued, or unfinished from an earlier attempt) rather than looking one up: a job
   * trains the run it was launched for, never a sibling with the same model and seed.
   */
  runId?: number;
  /**
   * Mark the run failed when training throws (default true). A job holder passes false: its runner
   * settles the run under the job's lock, so a worker that lost the job cannot fail its successor's run.
   */
  failRunOnError?: boolean;
  /** Root of run directories (default `$LEADWISE_HOME/runs`). */
  runsDir?: string;
  onBatch?: (progress: BatchProgress) => void;
  onEpoch?: (metrics: EpochMetrics) => void;
  onPhase?: (phase: 'loading' | 'training' | 'testing' | 'done', detail?: string) => void;
}

export interface TrainRunResult {
  runId: number;
  experimentId: number;
  model: Architecture;
  seed: number;
  backend: string;
  checkpointUri: string;
  epochs: EpochMetrics[];
  bestEpoch: number;
  stoppedEarly: boolean;
  val: { n: number; rocAuc: number; prAuc: number };
  test: { n: number; rocAuc: number; prAuc: number } | null;
  trainImagesPerS: number;
  wallSeconds: number;
}

/** Metric keys a train run logs (series per epoch, and final values at step 0). */
export const TRAIN_METRIC_KEYS = {
  trainLoss: 'train.loss',
  valLoss: 'val.loss',
  valRocAuc: 'val.roc_auc',
  valPrAuc: 'val.pr_auc',
  learningRate: 'train.learning_rate',
  finalValRocAuc: 'final.val.roc_auc',
  finalValPrAuc: 'final.val.pr_auc',
  finalTestRocAuc: 'final.test.roc_auc',
  finalTestPrAuc: 'final.test.pr_auc',
  trainImagesPerS: 'train.images_per_s',
  wallSeconds: 'train.wall_s',
} as const;

export function backendLabel(name: string): string {
  return name.startsWith('tfjs-') ? name : `tfjs-${name}`;
}

export function runDirectory(runId: number, runsDir = join(resolveLeadwiseHome(), 'runs')): string {
  return join(runsDir, String(runId));
}

async function adHocExperiment(db: LeadwiseDatabase, dataset: string, profile: TrainingProfile): Promise<number> {
  const config = { kind: 'ad-hoc training', dataset, profile };
  const configHash = createHash('sha256').update(JSON.stringify(config)).digest('hex');
  const { experiment } = await new ExperimentStore(db).createOrGet({ name: `train ${dataset} (${profile})`, config, configHash });
  return experiment.id;
}

async function adoptRun(db: LeadwiseDatabase, runId: number): Promise<Run> {
  const row = await new RunStore(db).getById(runId);
  if (!row) throw new Error(`run ${runId} does not exist`);
  if (row.kind !== 'train' || !['queued', 'running', 'failed'].includes(row.status)) {
    throw new Error(`run ${runId} is a ${row.status} ${row.kind} run; only an unfinished train run can be trained`);
  }
  return row;
}

/**
 * Trains one model on a dataset's train split, early-stopped on its val split, then scores the best
 * checkpoint on val and test. Everything is stored on a `train` run: params (model and training
 * config, profile, record counts), per-epoch metric series (TRAIN_METRIC_KEYS), final metrics,
 * checkpoint URI, backend and wall time. A failure marks the run failed with its message; with
 * `resume` a failed or interrupted run continues from its last epoch checkpoint.
 */
export async function trainRun(db: LeadwiseDatabase, options: TrainRunOptions): Promise<TrainRunResult> {
  const startMs = Date.now();
  const backend = backendLabel(backendEngineName(await selectBackend()));
  options.onPhase?.('loading', 'records');
  const dataset = await requireDataset(db, options.dataset);
  const setup = runSetup(options);
  const records = await runRecords(db, dataset, options);

  const store = new RunStore(db);
  const experimentId = options.experimentId ?? (await adHocExperiment(db, dataset.name, options.profile));
  let run =
    options.runId !== undefined
      ? await adoptRun(db, options.runId)
      : options.resume
        ? await store.findResumableTrainRun({ experimentId, model: options.model, seed: options.seed, datasetId: dataset.id })
        : undefined;
  const resuming = run !== undefined && recoverCheckpoint(join(runDirectory(run.id, options.runsDir), 'checkpoint', LAST_CHECKPOINT));
  if (run && run.status !== 'queued') run = await store.requeue(run.id);
  const newRun = {
    experimentId,
    kind: 'train',
    model: options.model,
    seed: options.seed,
    backend,
    datasetId: dataset.id,
    name: `${options.model} seed ${options.seed} (${options.profile})`,
  } as const;
  const trained = await withRun(
    store,
    { run: run ?? newRun, params: trainRunParams(options.profile, dataset.name, setup, records), failOnError: options.failRunOnError ?? true },
    async ({ id: runId }) => {
      const checkpointDir = join(runDirectory(runId, options.runsDir), 'checkpoint');
      const checkpointUri = pathToFileURL(join(checkpointDir, 'best')).href;
      options.onPhase?.('training', `run ${runId}`);
      const result = await trainModel({
        modelConfig: setup.modelConfig,
        trainConfig: setup.trainConfig,
        // Without augmentation every epoch sees the same pages: drawn once and kept (a byte a pixel).
        train: new RecordSampleSource(records.train, { ...setup.sourceOptions, augmentations: setup.augment ? undefined : null, cachePlainPixels: !setup.augment }),
        validation: new RecordSampleSource(records.val, setup.sourceOptions),
        checkpointDir,
        resume: resuming,
        callbacks: {
          onBatchEnd: options.onBatch,
          onEpochEnd: async (metrics) => {
            await logEpochMetrics(store, runId, metrics);
            await store.setCheckpointUri(runId, checkpointUri);
            options.onEpoch?.(metrics);
          },
        },
      });
      try {
        const best = result.history.find((m) => m.epoch === result.bestEpoch);
        if (!best) throw new Error(`run ${runId} has no metrics for its best epoch ${result.bestEpoch}`);
        const test = await testScores(result.network, records.test, setup, options);
        const trainSeconds = result.history.reduce((sum, m) => sum + m.trainSeconds, 0);
        const trainImagesPerS = (records.train.length * result.history.length) / Math.max(trainSeconds, 1e-9);
        const wallSeconds = (Date.now() - startMs) / 1000;
        await logFinalMetrics(store, runId, { best, test, trainImagesPerS, wallSeconds });
        await store.setTags(runId, { best_epoch: String(result.bestEpoch), stopped_early: String(result.stoppedEarly) });
        await store.setCheckpointUri(runId, checkpointUri);
        return {
          runId,
          experimentId,
          model: options.model,
          seed: options.seed,
          backend,
          checkpointUri,
          epochs: result.history,
          bestEpoch: result.bestEpoch,
          stoppedEarly: result.stoppedEarly,
          val: { n: records.val.length, rocAuc: best.valRocAuc, prAuc: best.valPrAuc },
          test,
          trainImagesPerS,
          wallSeconds,
        };
      } finally {
        result.network.model.dispose();
      }
    },
  );
  options.onPhase?.('done');
  return trained;
}

interface RunSetup {
  modelConfig: ModelConfig;
  trainConfig: TrainConfig;
  gridStyle: PageGridStyle;
  augment: boolean;
  sourceOptions: RecordSampleSourceOptions;
}

/** The model and training configs: the profile's settings with the run's overrides. */
function runSetup(options: TrainRunOptions): RunSetup {
  const settings = PROFILE_SETTINGS[options.profile];
  const overrides = options.overrides ?? {};
  const modelConfig = parseModelConfig({
    architecture: options.model,
    ...(overrides.backbone ? { backbone: overrides.backbone } : {}),
    ...(overrides.outputStride ? { outputStride: overrides.outputStride } : {}),
    ...(overrides.leadGroupHead ? { leadGroupHead: overrides.leadGroupHead } : {}),
    ...(overrides.dropout !== undefined ? { dropout: overrides.dropout } : {}),
    ...(overrides.groupTargets !== undefined ? { groupTargets: overrides.groupTargets } : {}),
    vggBatchNorm: settings.vggBatchNorm,
    inputHeight: overrides.inputHeight ?? settings.inputHeight,
    inputWidth: overrides.inputWidth ?? settings.inputWidth,
    channels: 1,
    widthMultiplier: overrides.widthMultiplier ?? settings.widthMultiplier,
    seed: options.seed,
  });
  const trainConfig = parseTrainConfig({
    epochs: overrides.epochs ?? profileEpochs(options.profile, options.model),
    batchSize: overrides.batchSize ?? settings.batchSize,
    learningRate: overrides.learningRate ?? settings.learningRate,
    patience: overrides.patience ?? settings.patience,
    seed: options.seed,
  });
  const gridStyle = overrides.gridStyle ?? 'red';
  const sourceOptions = { inputHeight: modelConfig.inputHeight, inputWidth: modelConfig.inputWidth, channels: modelConfig.channels, gridStyle } as const;
  return { modelConfig, trainConfig, gridStyle, augment: overrides.augment ?? settings.augment, sourceOptions };
}

interface RunRecords {
  train: TrainingRecord[];
  val: TrainingRecord[];
  test: TrainingRecord[];
}

/** The labelled records of each split, capped (stratified) by the profile or the overrides. */
async function runRecords(db: LeadwiseDatabase, dataset: Dataset, options: TrainRunOptions): Promise<RunRecords> {
  const settings = PROFILE_SETTINGS[options.profile];
  const overrides = options.overrides ?? {};
  const limit = (override: number | null | undefined, fallback: number | null) => (override === undefined ? fallback : override);
  const train = stratifiedSubset(await labelledRecords(db, dataset.id, 'train'), limit(overrides.maxTrainSamples, settings.maxTrainSamples));
  const val = stratifiedSubset(await labelledRecords(db, dataset.id, 'val'), limit(overrides.maxValSamples, settings.maxValSamples));
  const test = stratifiedSubset(await labelledRecords(db, dataset.id, 'test'), limit(overrides.maxTestSamples, settings.maxTestSamples));
  if (train.length === 0 || val.length === 0) {
    throw new TrainingDataError(
      `dataset "${dataset.name}" has no train/val split (found ${train.length} train and ${val.length} val records); ` +
        `split it first: leadwise split ${dataset.name} --train 0.6 --val 0.2 --test 0.2 --seed 1`,
    );
  }
  return { train, val, test };
}

/** What a train run records about its model, recipe and data (TRAIN_PARAM_KEYS). */
function trainRunParams(profile: TrainingProfile, dataset: string, setup: RunSetup, records: RunRecords): Record<string, ParamValue> {
  const { modelConfig, trainConfig } = setup;
  // trainModel reads the same variable; its replica count changes the results (batch norm per share).
  const dataParallelReplicas = parseDataParallel(process.env[DATA_PARALLEL_ENV_VAR]) ?? 1;
  return {
    [TRAIN_PARAM_KEYS.profile]: profile,
    [TRAIN_PARAM_KEYS.dataset]: dataset,
    [TRAIN_PARAM_KEYS.architecture]: modelConfig.architecture,
    [TRAIN_PARAM_KEYS.backbone]: modelConfig.backbone,
    [TRAIN_PARAM_KEYS.outputStride]: modelConfig.outputStride,
    ...(modelConfig.architecture === 'leadgroup'
      ? { [TRAIN_PARAM_KEYS.leadGroupHead]: modelConfig.leadGroupHead, [TRAIN_PARAM_KEYS.rhythmStrip]: modelConfig.rhythmStrip }
      : {}),
    ...(modelConfig.architecture === 'vgg16' ? { [TRAIN_PARAM_KEYS.vggBatchNorm]: modelConfig.vggBatchNorm } : {}),
    [TRAIN_PARAM_KEYS.input]: `${modelConfig.inputHeight}x${modelConfig.inputWidth}x${modelConfig.channels}`,
    [TRAIN_PARAM_KEYS.widthMultiplier]: modelConfig.widthMultiplier,
    [TRAIN_PARAM_KEYS.modelSeed]: modelConfig.seed,
    [TRAIN_PARAM_KEYS.dropout]: modelConfig.dropout,
    ...(modelConfig.groupTargets ? { [TRAIN_PARAM_KEYS.groupTargets]: true, [TRAIN_PARAM_KEYS.groupTargetWeight]: trainConfig.groupTargetWeight } : {}),
    [TRAIN_PARAM_KEYS.epochs]: trainConfig.epochs,
    [TRAIN_PARAM_KEYS.batchSize]: trainConfig.batchSize,
    [TRAIN_PARAM_KEYS.learningRate]: trainConfig.learningRate,
    [TRAIN_PARAM_KEYS.warmupFraction]: trainConfig.warmupFraction,
    [TRAIN_PARAM_KEYS.finalLearningRateFraction]: trainConfig.finalLearningRateFraction,
    [TRAIN_PARAM_KEYS.patience]: trainConfig.patience,
    [TRAIN_PARAM_KEYS.classWeighting]: trainConfig.classWeighting,
    [TRAIN_PARAM_KEYS.gridStyle]: setup.gridStyle,
    [TRAIN_PARAM_KEYS.augment]: setup.augment,
    [TRAIN_PARAM_KEYS.trainRecords]: records.train.length,
    [TRAIN_PARAM_KEYS.valRecords]: records.val.length,
    [TRAIN_PARAM_KEYS.testRecords]: records.test.length,
    ...(dataParallelReplicas > 1 ? { [TRAIN_PARAM_KEYS.dataParallel]: dataParallelReplicas } : {}),
  };
}

async function logEpochMetrics(store: RunStore, runId: number, metrics: EpochMetrics): Promise<void> {
  const step = metrics.epoch;
  await store.logMetrics(runId, [
    { key: TRAIN_METRIC_KEYS.trainLoss, value: metrics.trainLoss, step },
    { key: TRAIN_METRIC_KEYS.valLoss, value: metrics.valLoss, step },
    { key: TRAIN_METRIC_KEYS.valRocAuc, value: metrics.valRocAuc, step },
    { key: TRAIN_METRIC_KEYS.valPrAuc, value: metrics.valPrAuc, step },
    { key: TRAIN_METRIC_KEYS.learningRate, value: metrics.learningRate, step },
  ]);
}

/** The best checkpoint's ROC-AUC and PR-AUC on the test split; null when the dataset has none. */
async function testScores(network: LeadwiseModel, test: TrainingRecord[], setup: RunSetup, options: TrainRunOptions): Promise<TrainRunResult['test']> {
  if (test.length === 0) return null;
  options.onPhase?.('testing', `${test.length} records`);
  const predictions = await predictSource(network, new RecordSampleSource(test, { ...setup.sourceOptions, cachePlainPixels: false }), setup.trainConfig.evalBatchSize);
  return { n: test.length, rocAuc: rocAuc(predictions.labels, predictions.probabilities).auc, prAuc: averagePrecision(predictions.labels, predictions.probabilities) };
}

interface FinalFigures {
  best: EpochMetrics;
  test: TrainRunResult['test'];
  trainImagesPerS: number;
  wallSeconds: number;
}

async function logFinalMetrics(store: RunStore, runId: number, { best, test, trainImagesPerS, wallSeconds }: FinalFigures): Promise<void> {
  await store.logMetrics(runId, [
    { key: TRAIN_METRIC_KEYS.finalValRocAuc, value: best.valRocAuc },
    { key: TRAIN_METRIC_KEYS.finalValPrAuc, value: best.valPrAuc },
    ...(test
      ? [
          { key: TRAIN_METRIC_KEYS.finalTestRocAuc, value: test.rocAuc },
          { key: TRAIN_METRIC_KEYS.finalTestPrAuc, value: test.prAuc },
        ]
      : []),
    { key: TRAIN_METRIC_KEYS.trainImagesPerS, value: trainImagesPerS },
    { key: TRAIN_METRIC_KEYS.wallSeconds, value: wallSeconds },
  ]);
}
