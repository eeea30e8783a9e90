import { fileURLToPath } from 'node:url';
import { LEAD_GROUP_NAMES } from '@leadwise/ecg';
import { AttributionStore, PredictionStore, RunStore, withRun, type LeadwiseDatabase, type NewLeadGroupAttribution, type NewPrediction } from '@leadwise/db';
import {
  exportOnnx,
  GROUP_COUNT,
  groupAttributions,
  loadCheckpoint,
  OnnxEngine,
  backendEngineName,
  selectBackend,
  summarizeGroupAttributions,
  type GroupAttributionSummary,
} from '@leadwise/models';
import { recordEvaluationMetrics, type EvaluationMetrics } from '../summary/record-evaluation-metrics.ts';
import { RecordSampleSource } from './record-sample-source.ts';
import { EVALUATE_PARAM_KEYS, TRAIN_PARAM_KEYS } from '../run-param-keys.ts';
import { backendLabel } from './train-run.ts';
import { labelledRecords, requireDataset, stratifiedSubset, TrainingDataError, type ScoredSplit } from './training-records.ts';
import type { PageGridStyle } from '@leadwise/render';

/** Inference engines an evaluation can run on. */
export const EVALUATION_ENGINES = ['onnx', 'tfjs'] as const;
export type EvaluationEngine = (typeof EVALUATION_ENGINES)[number];

export interface EvaluateRunOptions {
  /** The train run whose best checkpoint is evaluated. */
  runId: number;
  /** Dataset name (internal or external, e.g. one the model never saw). */
  dataset: string;
  /**
   * Split to evaluate (default 'test'). A dataset with no records in that split (an external set
   * imported without splits) is evaluated whole; `all` forces every labelled record.
   */
  split?: ScoredSplit;
  /** Grid style of the pages; defaults to the train run's `grid_style` param. */
  gridStyle?: PageGridStyle;
  /** Images per forward pass (each sample is 6 images: intact + 5 occluded groups). */
  batchSize?: number;
  /** Stratified cap on the number of records (default all). */
  maxSamples?: number | null;
  onProgress?: (done: number, total: number) => void;
  /**
   * Called with the evaluation run's id as soon as it exists, before any work: a job records it, so
   * a retry after a crash knows which run its dead attempt left unfinished.
   */
  onRunCreated?: (evaluationRunId: number) => Promise<void> | void;
  /**
   * Inference engine: `tfjs` (the training backend) or `onnx` (the checkpoint exported to ONNX and
   * run by onnxruntime-node, 3-9x faster on CPU; see docs/benchmarks.md "onnx").
   */
  engine?: EvaluationEngine;
  /** onnxruntime intra-op threads (default DEFAULT_INTRA_OP_THREADS); 1 while other processes train. */
  onnxThreads?: number;
}

export interface EvaluateRunResult {
  evaluationRunId: number;
  trainRunId: number;
  dataset: string;
  /** The split actually evaluated (`all` when the dataset had no records in the asked split). */
  split: ScoredSplit;
  metrics: EvaluationMetrics;
  attributions: GroupAttributionSummary[];
  backend: string;
  wallSeconds: number;
}

export class EvaluateRunError extends Error {
  override name = 'EvaluateRunError';
}

/**
 * Scores a trained model on a dataset split and stores, on a new `evaluate` run (child of the train
 * run, same experiment, model and seed): per-sample predictions, per-sample lead-group attributions
 * (occlusion for every model, attention for LeadGroupECG), ROC-AUC/PR-AUC with bootstrap CIs under
 * the summary keys the report reads, backend and wall time.
 */
export async function evaluateRun(db: LeadwiseDatabase, options: EvaluateRunOptions): Promise<EvaluateRunResult> {
  const startMs = Date.now();
  const store = new RunStore(db);
  const trainRun = await store.getById(options.runId);
  if (!trainRun) throw new EvaluateRunError(`run ${options.runId} does not exist`);
  if (trainRun.kind !== 'train') throw new EvaluateRunError(`run ${options.runId} is a ${trainRun.kind} run, not a train run`);
  if (!trainRun.checkpointUri) throw new EvaluateRunError(`run ${options.runId} has no checkpoint (status ${trainRun.status})`);
  // The checkpoint is loaded through tfjs either way; the ONNX engine then scores the exported graph.
  const tfjsBackend = backendLabel(backendEngineName(await selectBackend()));
  const backend = options.engine === 'onnx' ? 'onnxruntime-node' : tfjsBackend;
  const dataset = await requireDataset(db, options.dataset);
  const params = await store.getParams(trainRun.id);
  const gridStyle = options.gridStyle ?? (params[TRAIN_PARAM_KEYS.gridStyle] === 'none' ? 'none' : 'red');

  let split: ScoredSplit = options.split ?? 'test';
  let rows = await labelledRecords(db, dataset.id, split);
  if (rows.length === 0 && split !== 'all') {
    split = 'all';
    rows = await labelledRecords(db, dataset.id, 'all');
  }
  if (rows.length === 0) throw new TrainingDataError(`dataset "${dataset.name}" has no labelled records to evaluate`);
  rows = stratifiedSubset(rows, options.maxSamples ?? null);

  const network = await loadCheckpoint(fileURLToPath(trainRun.checkpointUri));
  // Set inside the run (the engine exists only once it is running), released here whatever happened.
  let onnxEngine = null as OnnxEngine | null;
  try {
    return await withRun(
      store,
      {
        run: {
          experimentId: trainRun.experimentId,
          parentRunId: trainRun.id,
          kind: 'evaluate',
          model: trainRun.model,
          seed: trainRun.seed,
          backend,
          datasetId: dataset.id,
          name: `${trainRun.model} seed ${trainRun.seed} on ${dataset.name} (${split})`,
        },
        onCreated: options.onRunCreated,
        params: {
          [EVALUATE_PARAM_KEYS.trainRunId]: trainRun.id,
          [EVALUATE_PARAM_KEYS.dataset]: dataset.name,
          [EVALUATE_PARAM_KEYS.split]: split,
          [EVALUATE_PARAM_KEYS.records]: rows.length,
          [EVALUATE_PARAM_KEYS.checkpointUri]: trainRun.checkpointUri,
          [EVALUATE_PARAM_KEYS.gridStyle]: gridStyle,
          [EVALUATE_PARAM_KEYS.engine]: options.engine ?? 'tfjs',
          [EVALUATE_PARAM_KEYS.occlusionBlank]: 'paper',
        },
      },
      async (run) => {
        const { config } = network;
        const source = new RecordSampleSource(rows, {
          inputHeight: config.inputHeight,
          inputWidth: config.inputWidth,
          channels: config.channels,
          gridStyle,
          cachePlainPixels: false,
        });
        const engine = (onnxEngine = options.engine === 'onnx' ? await OnnxEngine.load(exportOnnx(network, { trainingRunId: trainRun.id, gridStyle }), options.onnxThreads ? { intraOpThreads: options.onnxThreads } : {}) : null);
        const attributions = await groupAttributions(network, source, {
          batchSize: options.batchSize ?? 48,
          onProgress: options.onProgress,
          ...(engine ? { predict: (batch) => engine.predictBatch(batch) } : {}),
        });
        const predictionRows: NewPrediction[] = rows.map((record, i) => ({
          runId: run.id,
          recordId: record.recordId,
          datasetId: dataset.id,
          split: split === 'all' ? null : split,
          trueLabel: record.label,
          score: attributions.probabilities[i],
          predictedLabel: attributions.probabilities[i] >= 0.5 ? 1 : 0,
        }));
        const attributionRows: NewLeadGroupAttribution[] = rows.flatMap((record, i) =>
          LEAD_GROUP_NAMES.map((groupName, g) => ({
            runId: run.id,
            recordId: record.recordId,
            groupName,
            attentionWeight: attributions.groupAttention ? attributions.groupAttention[i * GROUP_COUNT + g] : null,
            occlusionDelta: attributions.occlusionDelta[i * GROUP_COUNT + g],
          })),
        );
        await new PredictionStore(db).upsertMany(predictionRows);
        await new AttributionStore(db).upsertMany(attributionRows);
        const metrics = await recordEvaluationMetrics(db, run.id, attributions.labels, attributions.probabilities);
        return {
          evaluationRunId: run.id,
          trainRunId: trainRun.id,
          dataset: dataset.name,
          split,
          metrics,
          attributions: summarizeGroupAttributions(attributions),
          backend,
          wallSeconds: (Date.now() - startMs) / 1000,
        };
      },
    );
  } finally {
    await onnxEngine?.release();
    network.model.dispose();
  }
}
