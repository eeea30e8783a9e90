import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import { ExperimentStore, resolveLeadwiseHome, runs, RunStore, type LeadwiseDatabase, type Run } from '@leadwise/db';
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
  type TrainingProfile,
} from '@leadwise/models';
import { averagePrecision, rocAuc } from '@leadwise/metrics';
import { RecordSampleSource } from './record-sample-source.ts';
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
  const [row] = await db.select().from(runs).where(and(eq(runs.id, runId), isNull(runs.deletedAt)));
  if (!row) throw new Error(`run ${runId} does not exist`);
  if (row.kind !== 'train' || !['queued', 'running', 'failed'].includes(row.status)) {
    throw new Error(`run ${runId} is a ${row.status} ${row.kind} run; only an unfinished train run can be trained`);
  }
  return row;
}

async function findResumableRun(db: LeadwiseDatabase, experimentId: number, model: string, seed: number, datasetId: number): Promise<Run | undefined> {
  const [row] = await db
    .select()
    .from(runs)
    .where(
      and(
        eq(runs.experimentId, experimentId),
        eq(runs.kind, 'train'),
        eq(runs.model, model),
        eq(runs.seed, seed),
        eq(runs.datasetId, datasetId),
        inArray(runs.status, ['queued', 'running', 'failed']),
        isNull(runs.deletedAt),
      ),
    )
    .orderBy(desc(runs.id))
    .limit(1);
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
  const settings = PROFILE_SETTINGS[options.profile];
  const overrides = options.overrides ?? {};
  const backend = backendLabel(backendEngineName(await selectBackend()));
  options.onPhase?.('loading', 'records');
  const dataset = await requireDataset(db, options.dataset);
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
  const augment = overrides.augment ?? settings.augment;
  const limit = (override: number | null | undefined, fallback: number | null) => (override === undefined ? fallback : override);
  const trainRecords = stratifiedSubset(await labelledRecords(db, dataset.id, 'train'), limit(overrides.maxTrainSamples, settings.maxTrainSamples));
  const valRecords = stratifiedSubset(await labelledRecords(db, dataset.id, 'val'), limit(overrides.maxValSamples, settings.maxValSamples));
  const testRecords = stratifiedSubset(await labelledRecords(db, dataset.id, 'test'), limit(overrides.maxTestSamples, settings.maxTestSamples));
  if (trainRecords.length === 0 || valRecords.length === 0) {
    throw new TrainingDataError(
      `dataset "${dataset.name}" has no train/val split (found ${trainRecords.length} train and ${valRecords.length} val records); ` +
        `split it first: leadwise split ${dataset.name} --train 0.6 --val 0.2 --test 0.2 --seed 1`,
    );
  }

  const store = new RunStore(db);
  const experimentId = options.experimentId ?? (await adHocExperiment(db, dataset.name, options.profile));
  let run =
    options.runId !== undefined
      ? await adoptRun(db, options.runId)
      : options.resume
        ? await findResumableRun(db, experimentId, options.model, options.seed, dataset.id)
        : undefined;
  const resuming = run !== undefined && recoverCheckpoint(join(runDirectory(run.id, options.runsDir), 'checkpoint', LAST_CHECKPOINT));
  if (run && run.status !== 'queued') run = await store.requeue(run.id);
  run ??= await store.create({
    experimentId,
    kind: 'train',
    model: options.model,
    seed: options.seed,
    backend,
    datasetId: dataset.id,
    name: `${options.model} seed ${options.seed} (${options.profile})`,
  });
  const runId = run.id;
  const checkpointDir = join(runDirectory(runId, options.runsDir), 'checkpoint');
  // trainModel reads the same variable; its replica count changes the results (batch norm per share).
  const dataParallelReplicas = parseDataParallel(process.env[DATA_PARALLEL_ENV_VAR]) ?? 1;
  const sourceOptions = { inputHeight: modelConfig.inputHeight, inputWidth: modelConfig.inputWidth, channels: modelConfig.channels, gridStyle } as const;
  try {
    await store.logParams(runId, {
      profile: options.profile,
      dataset: dataset.name,
      architecture: modelConfig.architecture,
      backbone: modelConfig.backbone,
      output_stride: modelConfig.outputStride,
      ...(modelConfig.architecture === 'leadgroup' ? { lead_group_head: modelConfig.leadGroupHead, rhythm_strip: modelConfig.rhythmStrip } : {}),
      ...(modelConfig.architecture === 'vgg16' ? { vgg_batch_norm: modelConfig.vggBatchNorm } : {}),
      input: `${modelConfig.inputHeight}x${modelConfig.inputWidth}x${modelConfig.channels}`,
      width_multiplier: modelConfig.widthMultiplier,
      model_seed: modelConfig.seed,
      dropout: modelConfig.dropout,
      ...(modelConfig.groupTargets ? { group_targets: true, group_target_weight: trainConfig.groupTargetWeight } : {}),
      epochs: trainConfig.epochs,
      batch_size: trainConfig.batchSize,
      learning_rate: trainConfig.learningRate,
      warmup_fraction: trainConfig.warmupFraction,
      final_lr_fraction: trainConfig.finalLearningRateFraction,
      patience: trainConfig.patience,
      class_weighting: trainConfig.classWeighting,
      grid_style: gridStyle,
      augment,
      train_records: trainRecords.length,
      val_records: valRecords.length,
      test_records: testRecords.length,
      ...(dataParallelReplicas > 1 ? { data_parallel: dataParallelReplicas } : {}),
    });
    await store.start(runId);
    const checkpointUri = pathToFileURL(join(checkpointDir, 'best')).href;
    options.onPhase?.('training', `run ${runId}`);
    const result = await trainModel({
      modelConfig,
      trainConfig,
      // Without augmentation every epoch sees the same pages: drawn once and kept (a byte a pixel).
      train: new RecordSampleSource(trainRecords, { ...sourceOptions, augmentations: augment ? undefined : null, cachePlainPixels: !augment }),
      validation: new RecordSampleSource(valRecords, sourceOptions),
      checkpointDir,
      resume: resuming,
      callbacks: {
        onBatchEnd: options.onBatch,
        onEpochEnd: async (metrics) => {
          const step = metrics.epoch;
          await store.logMetrics(runId, [
            { key: TRAIN_METRIC_KEYS.trainLoss, value: metrics.trainLoss, step },
            { key: TRAIN_METRIC_KEYS.valLoss, value: metrics.valLoss, step },
            { key: TRAIN_METRIC_KEYS.valRocAuc, value: metrics.valRocAuc, step },
            { key: TRAIN_METRIC_KEYS.valPrAuc, value: metrics.valPrAuc, step },
            { key: TRAIN_METRIC_KEYS.learningRate, value: metrics.learningRate, step },
          ]);
          await store.setCheckpointUri(runId, checkpointUri);
          options.onEpoch?.(metrics);
        },
      },
    });
    try {
      const best = result.history.find((m) => m.epoch === result.bestEpoch);
      if (!best) throw new Error(`run ${runId} has no metrics for its best epoch ${result.bestEpoch}`);
      let test: TrainRunResult['test'] = null;
      if (testRecords.length > 0) {
        options.onPhase?.('testing', `${testRecords.length} records`);
        const predictions = await predictSource(result.network, new RecordSampleSource(testRecords, { ...sourceOptions, cachePlainPixels: false }), trainConfig.evalBatchSize);
        test = { n: testRecords.length, rocAuc: rocAuc(predictions.labels, predictions.probabilities).auc, prAuc: averagePrecision(predictions.labels, predictions.probabilities) };
      }
      const trainSeconds = result.history.reduce((sum, m) => sum + m.trainSeconds, 0);
      const trainImagesPerS = (trainRecords.length * result.history.length) / Math.max(trainSeconds, 1e-9);
      const wallSeconds = (Date.now() - startMs) / 1000;
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
      await store.setTags(runId, { best_epoch: String(result.bestEpoch), stopped_early: String(result.stoppedEarly) });
      await store.setCheckpointUri(runId, checkpointUri);
      await store.finish(runId);
      options.onPhase?.('done');
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
        val: { n: valRecords.length, rocAuc: best.valRocAuc, prAuc: best.valPrAuc },
        test,
        trainImagesPerS,
        wallSeconds,
      };
    } finally {
      result.network.model.dispose();
    }
  } catch (error) {
    if (options.failRunOnError ?? true) {
      await store.fail(runId, error instanceof Error ? `${error.name}: ${error.message}` : String(error)).catch(() => undefined);
    }
    throw error;
  }
}
