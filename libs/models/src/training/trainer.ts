import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { averagePrecision, rocAuc } from '@leadwise/metrics';
import { createModel, type LeadwiseModel } from '../architectures/model-factory.ts';
import { SeededDropout } from '../architectures/seeded-dropout.ts';
import type { ModelConfig, SampleSource, TrainConfig } from '../types.ts';
import { loadCheckpoint, loadOptimizerState, readTrainingState, saveCheckpoint } from '../weights/checkpoint-io.ts';
import { learningRateAt, type WarmupCosineSchedule } from './learning-rate-schedule.ts';
import { predictSource } from './predict.ts';
import { ScheduledAdam } from './scheduled-adam.ts';
import { DATA_PARALLEL_ENV_VAR, DataParallelGroup, parseDataParallel, type DataParallelOptions } from './data-parallel.ts';
import { loadHostBatch, type HostBatch } from './sample-batches.ts';
import { mixSeed, seededPermutation } from '@leadwise/ecg';
import { TrainingError, trainingLoss, type BatchPosition, type TrainingLossTerms } from './training-loss.ts';
import { balancedClassWeights } from './weighted-loss.ts';

export { TrainingError } from './training-loss.ts';

/** Sub-directories of a run's checkpoint directory. */
export const LAST_CHECKPOINT = 'last';
export const BEST_CHECKPOINT = 'best';

export interface EpochMetrics {
  epoch: number;
  /** Mean class-weighted training loss over the epoch's batches. */
  trainLoss: number;
  /** Unweighted binary cross-entropy on the validation set. */
  valLoss: number;
  valRocAuc: number;
  valPrAuc: number;
  learningRate: number;
  trainImages: number;
  trainSeconds: number;
  valSeconds: number;
}

export interface BatchProgress {
  epoch: number;
  /** Global optimizer step (1-based, after this batch). */
  step: number;
  totalSteps: number;
  batchInEpoch: number;
  batchesPerEpoch: number;
  loss: number;
  learningRate: number;
}

export interface TrainingCallbacks {
  onBatchEnd?(progress: BatchProgress): void;
  onEpochEnd?(metrics: EpochMetrics, improved: boolean): void | Promise<void>;
  onValidationProgress?(done: number, total: number): void;
}

export interface TrainModelOptions {
  modelConfig: ModelConfig;
  trainConfig: TrainConfig;
  train: SampleSource;
  validation: SampleSource;
  /** Where `last/` and `best/` checkpoints go. */
  checkpointDir: string;
  /** Continue from `checkpointDir/last` when it exists. */
  resume?: boolean;
  /**
   * Train over this many replicas, one a thread (see data-parallel.ts); defaults to
   * `LEADWISE_DATA_PARALLEL`, then 1. Validation and checkpoints use replica 0.
   */
  dataParallel?: DataParallelOptions;
  callbacks?: TrainingCallbacks;
}

export interface TrainModelResult {
  /** The network with the best validation ROC-AUC's weights loaded (the caller disposes it). */
  network: LeadwiseModel;
  history: EpochMetrics[];
  bestEpoch: number;
  bestValRocAuc: number;
  stoppedEarly: boolean;
  resumedFromEpoch: number | null;
  bestCheckpointDir: string;
  classWeights: { normal: number; abnormal: number };
  backend: string;
  /** Replicas the run trained on (1: the calling thread alone). */
  dataParallelReplicas: number;
  wallSeconds: number;
}

/** What `last/training-state.json` holds; enough to continue a run exactly where it stopped. */
interface TrainingState {
  completedEpochs: number;
  step: number;
  history: EpochMetrics[];
  bestEpoch: number;
  bestValRocAuc: number;
  epochsWithoutImprovement: number;
  trainConfig: TrainConfig;
}

// Keeps the data-order seed stream apart from the per-sample augmentation streams (mixSeed(seed, epoch, index)).
const DATA_ORDER_STREAM = 0x7fffffff;

/**
 * Trains a network with class-weighted binary cross-entropy and Adam (linear warm-up, cosine decay),
 * validates after each epoch (ROC-AUC, PR-AUC from @leadwise/metrics), checkpoints every epoch to
 * `last/` and the best ROC-AUC to `best/`, and stops after `patience` epochs without improvement.
 * Data order and augmentation depend only on trainConfig.seed, initial weights only on
 * modelConfig.seed: the same seeds on the same backend give the same weights.
 */
export async function trainModel(options: TrainModelOptions): Promise<TrainModelResult> {
  const { modelConfig, trainConfig, train, validation, checkpointDir, callbacks } = options;
  const startMs = Date.now();
  checkSourceShape(train, modelConfig, 'training');
  checkSourceShape(validation, modelConfig, 'validation');
  if (train.size === 0) throw new TrainingError('the training source is empty');
  if (validation.size === 0) throw new TrainingError('the validation source is empty');

  const replicas = options.dataParallel?.replicas ?? parseDataParallel(process.env[DATA_PARALLEL_ENV_VAR]) ?? 1;
  if (replicas > trainConfig.batchSize) throw new TrainingError(`${replicas} data-parallel replicas need batches of at least ${replicas} samples, not ${trainConfig.batchSize}`);

  const lastDir = join(checkpointDir, LAST_CHECKPOINT);
  const bestDir = join(checkpointDir, BEST_CHECKPOINT);
  const classWeights = trainConfig.classWeighting === 'balanced' ? balancedClassWeights(train.labels()) : { normal: 1, abnormal: 1 };
  const batchesPerEpoch = Math.ceil(train.size / trainConfig.batchSize);
  const schedule = learningRateSchedule(trainConfig, batchesPerEpoch);

  const resumeState = options.resume ? await readTrainingState<TrainingState>(lastDir) : null;
  const resumedFromEpoch = resumeState ? resumeState.completedEpochs : null;
  let network: LeadwiseModel = resumeState ? await loadCheckpoint(lastDir) : createModel(modelConfig);
  const optimizer = new ScheduledAdam(schedule.peakLearningRate);
  if (resumeState) await loadOptimizerState(lastDir, optimizer);

  const state: TrainingState = resumeState ?? {
    completedEpochs: 0,
    step: 0,
    history: [],
    bestEpoch: -1,
    bestValRocAuc: -Infinity,
    epochsWithoutImprovement: 0,
    trainConfig,
  };
  setDropoutCalls(network.model, state.step);
  const run: EpochRun = {
    options,
    network,
    optimizer,
    group: null,
    trainable: network.model.trainableWeights.map((w) => w.read() as tf.Variable),
    lossTerms: { classWeights, groupTargetWeight: trainConfig.groupTargetWeight },
    schedule,
    batchesPerEpoch,
    state,
  };
  let stoppedEarly = false;

  try {
    if (replicas > 1) run.group = await DataParallelGroup.start(network, optimizer, run.lossTerms, { ...options.dataParallel, replicas });
    for (let epoch = state.completedEpochs; epoch < trainConfig.epochs; epoch += 1) {
      if (state.epochsWithoutImprovement >= trainConfig.patience) {
        stoppedEarly = true;
        break;
      }
      const epochStartMs = Date.now();
      const lossSum = await trainEpoch(run, epoch);
      const trainSeconds = (Date.now() - epochStartMs) / 1000;
      const metrics = await validateEpoch(run, epoch, lossSum / batchesPerEpoch, trainSeconds);
      const improved = await recordEpoch(run, metrics, bestDir);
      await callbacks?.onEpochEnd?.(metrics, improved);
      // The resume point moves only after the callback has stored the epoch (its metrics): a run
      // stopped in between repeats the epoch on resume (the same bits, the same rows again) instead
      // of skipping metrics it never stored.
      await saveCheckpoint(network, lastDir, { optimizer, trainingState: state });
    }
  } finally {
    await run.group?.close();
    optimizer.dispose();
  }

  // The caller gets the best epoch's weights, not the last epoch's.
  network.model.dispose();
  network = await loadCheckpoint(bestDir);
  return {
    network,
    history: state.history,
    bestEpoch: state.bestEpoch,
    bestValRocAuc: state.bestValRocAuc,
    stoppedEarly,
    resumedFromEpoch,
    bestCheckpointDir: bestDir,
    classWeights,
    backend: tf.getBackend(),
    dataParallelReplicas: replicas,
    wallSeconds: (Date.now() - startMs) / 1000,
  };
}

/** Warm-up then cosine decay over every step of the run. */
function learningRateSchedule(trainConfig: TrainConfig, batchesPerEpoch: number): WarmupCosineSchedule {
  return {
    peakLearningRate: trainConfig.learningRate,
    totalSteps: batchesPerEpoch * trainConfig.epochs,
    warmupSteps: Math.round(batchesPerEpoch * trainConfig.epochs * trainConfig.warmupFraction),
    finalFraction: trainConfig.finalLearningRateFraction,
  };
}

/** What one run's epochs share. */
interface EpochRun {
  options: TrainModelOptions;
  network: LeadwiseModel;
  optimizer: ScheduledAdam;
  group: DataParallelGroup | null;
  trainable: tf.Variable[];
  lossTerms: TrainingLossTerms;
  schedule: WarmupCosineSchedule;
  batchesPerEpoch: number;
  state: TrainingState;
}

/** One pass over the training source in the epoch's seeded order; returns the sum of the batch losses. */
async function trainEpoch(run: EpochRun, epoch: number): Promise<number> {
  const { options, schedule, batchesPerEpoch, state } = run;
  const { trainConfig, train, callbacks } = options;
  const order = seededPermutation(train.size, mixSeed(trainConfig.seed, epoch, DATA_ORDER_STREAM));
  let lossSum = 0;
  for (let batchIndex = 0; batchIndex < batchesPerEpoch; batchIndex += 1) {
    const indices = order.slice(batchIndex * trainConfig.batchSize, (batchIndex + 1) * trainConfig.batchSize);
    const batch = await loadHostBatch(
      train,
      indices,
      indices.map((index) => mixSeed(trainConfig.seed, epoch, index)),
    );
    const learningRate = learningRateAt(schedule, state.step);
    const loss = await trainStep(run, batch, { epoch, batchIndex }, learningRate);
    if (!Number.isFinite(loss)) throw new TrainingError(`training loss became ${loss} at epoch ${epoch + 1}, batch ${batchIndex + 1}`);
    lossSum += loss;
    state.step += 1;
    callbacks?.onBatchEnd?.({
      epoch: epoch + 1,
      step: state.step,
      totalSteps: schedule.totalSteps,
      batchInEpoch: batchIndex + 1,
      batchesPerEpoch,
      loss,
      learningRate,
    });
  }
  return lossSum;
}

/** One optimizer step on a batch (over the data-parallel replicas when there are any); returns its loss. */
async function trainStep(run: EpochRun, batch: HostBatch, position: BatchPosition, learningRate: number): Promise<number> {
  if (run.group) return run.group.step(batch, { ...position, stepsBefore: run.state.step, learningRate });
  run.optimizer.setLearningRate(learningRate);
  const lossTensor = run.optimizer.minimize(() => trainingLoss(run.network, batch, run.options.modelConfig, run.lossTerms, position), true, run.trainable);
  if (!lossTensor) throw new TrainingError('the optimizer returned no loss');
  const loss = (await lossTensor.data())[0];
  lossTensor.dispose();
  return loss;
}

/** The epoch's metrics: its mean training loss and the validation source's loss, ROC-AUC and PR-AUC. */
async function validateEpoch(run: EpochRun, epoch: number, trainLoss: number, trainSeconds: number): Promise<EpochMetrics> {
  const { validation, train, trainConfig, callbacks } = run.options;
  const valStartMs = Date.now();
  const predictions = await predictSource(run.network, validation, trainConfig.evalBatchSize, callbacks?.onValidationProgress);
  return {
    epoch: epoch + 1,
    trainLoss,
    valLoss: meanBinaryCrossEntropy(predictions.labels, predictions.probabilities),
    valRocAuc: rocAuc(predictions.labels, predictions.probabilities).auc,
    valPrAuc: averagePrecision(predictions.labels, predictions.probabilities),
    learningRate: run.optimizer.currentLearningRate(),
    trainImages: train.size,
    trainSeconds,
    valSeconds: (Date.now() - valStartMs) / 1000,
  };
}

/** Adds the epoch to the state and saves the best checkpoint when it improved. */
async function recordEpoch(run: EpochRun, metrics: EpochMetrics, bestDir: string): Promise<boolean> {
  const { state } = run;
  const improved = metrics.valRocAuc > state.bestValRocAuc;
  state.history.push(metrics);
  state.completedEpochs = metrics.epoch;
  if (improved) {
    state.bestValRocAuc = metrics.valRocAuc;
    state.bestEpoch = metrics.epoch;
    state.epochsWithoutImprovement = 0;
    await saveCheckpoint(run.network, bestDir, { trainingState: { epoch: metrics.epoch, metrics } });
  } else {
    state.epochsWithoutImprovement += 1;
  }
  return improved;
}

function checkSourceShape(source: SampleSource, config: ModelConfig, role: string): void {
  if (source.inputHeight !== config.inputHeight || source.inputWidth !== config.inputWidth || source.channels !== config.channels) {
    throw new TrainingError(
      `the ${role} source gives ${source.inputHeight}x${source.inputWidth}x${source.channels} images, ` +
        `the model takes ${config.inputHeight}x${config.inputWidth}x${config.channels}`,
    );
  }
}

function setDropoutCalls(model: tf.LayersModel, calls: number): void {
  for (const layer of model.layers) if (layer instanceof SeededDropout) layer.setTrainingCalls(calls);
}

/** Unweighted mean binary cross-entropy of probabilities, clipped as in training. */
export function meanBinaryCrossEntropy(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i += 1) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, probabilities[i]));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / Math.max(1, labels.length);
}
