import { z } from 'zod';
import { DatasetStore, JobStore, RunStore, SPLITS, type LeadwiseDatabase } from '@leadwise/db';
import { DEFAULT_PROMPT_NAME, PROVIDER_NAMES, providerFromEnv } from '@leadwise/llm';
import { PAGE_GRID_STYLES, PAGE_STYLES } from '@leadwise/render';
import { runLlmArm } from '../llm-arm/run-llm-arm.ts';
import { evaluateRun, type EvaluateRunResult } from '../training/evaluate-run.ts';
import { TRAINING_PROFILES, type EpochMetrics } from '@leadwise/models';
import { evaluateRunInChild, trainRunInChild, type EvaluateRunSpec, type TrainRunSpec } from '../training/child-runs.ts';
import { trainRun } from '../training/train-run.ts';
import { SCORED_SPLITS } from '../training/training-records.ts';
import type { JobContext, JobHandlerRegistry } from './job-handler.ts';

/**
 * Payloads of the study's jobs, validated when a job is launched (the API answers with the field
 * that is wrong) and again when a worker runs it (payloads outlive code versions).
 */
const datasetName = z.string().min(1).max(200);
const cap = z.number().int().positive().nullable().optional();

export const trainJobPayloadSchema = z
  .object({
    /** The queued train run (created at launch) that the job trains. */
    runId: z.number().int().positive(),
    profile: z.enum(TRAINING_PROFILES).default('quick'),
    epochs: z.number().int().min(1).max(500).optional(),
    batchSize: z.number().int().min(1).max(1024).optional(),
    learningRate: z.number().positive().max(1).optional(),
    inputHeight: z.number().int().min(16).max(1024).optional(),
    inputWidth: z.number().int().min(16).max(1024).optional(),
    widthMultiplier: z.number().positive().max(4).optional(),
    maxTrainSamples: cap,
    maxValSamples: cap,
    maxTestSamples: cap,
    gridStyle: z.enum(PAGE_GRID_STYLES).optional(),
    /** Training pages with augmentations; absent: the profile's setting. */
    augment: z.boolean().optional(),
    /** Evaluate the best checkpoint afterwards on these datasets (the training dataset's test split first). */
    evaluateOn: z.array(datasetName).max(20).default([]),
    /** Evaluate on the training dataset's test split (default true). */
    evaluateInternal: z.boolean().default(true),
    evaluateMaxSamples: cap,
  })
  .strict();

export const evaluateJobPayloadSchema = z
  .object({
    /** The finished train run whose best checkpoint is evaluated. */
    trainRunId: z.number().int().positive(),
    dataset: datasetName,
    split: z.enum(SCORED_SPLITS).default('test'),
    maxSamples: cap,
    gridStyle: z.enum(PAGE_GRID_STYLES).optional(),
  })
  .strict();

export const llmJobPayloadSchema = z
  .object({
    provider: z.enum(PROVIDER_NAMES),
    model: z.string().min(1).max(200),
    dataset: datasetName,
    split: z.enum(SPLITS).default('test'),
    limit: cap,
    repeats: z.number().int().min(1).max(20).default(1),
    style: z.enum(PAGE_STYLES).default('grid'),
    dpi: z.number().int().min(50).max(600).default(200),
    promptName: z.string().min(1).max(100).default(DEFAULT_PROMPT_NAME),
    temperature: z.number().min(0).max(2).default(0),
    concurrency: z.number().int().min(1).max(64).default(4),
    requestsPerMinute: z.number().int().positive().nullable().optional(),
    timeoutMs: z.number().int().min(1000).max(600_000).default(120_000),
    /** Experiment the `llm` run joins (the API sets the one it was launched in). */
    experimentId: z.number().int().positive().optional(),
  })
  .strict();

export type TrainJobPayload = z.output<typeof trainJobPayloadSchema>;
export type EvaluateJobPayload = z.output<typeof evaluateJobPayloadSchema>;
export type LlmJobPayload = z.output<typeof llmJobPayloadSchema>;

export class JobPayloadError extends Error {
  override name = 'JobPayloadError';
  constructor(
    message: string,
    readonly fields: string[],
  ) {
    super(message);
  }
}

function parsePayload<T>(schema: z.ZodType<T>, payload: unknown, kind: string): T {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({ field: issue.path.join('.') || '(payload)', message: issue.message }));
  throw new JobPayloadError(
    `${kind} job payload is invalid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
    problems.map((p) => p.field),
  );
}

export const parseTrainJobPayload = (payload: unknown) => parsePayload(trainJobPayloadSchema, payload, 'train');
export const parseEvaluateJobPayload = (payload: unknown) => parsePayload(evaluateJobPayloadSchema, payload, 'evaluate');
export const parseLlmJobPayload = (payload: unknown) => parsePayload(llmJobPayloadSchema, payload, 'llm');

interface TrainJobCheckpoint {
  /** Set once training finished: a retry goes straight to the evaluations. */
  trained?: boolean;
  /** Datasets whose evaluation finished. */
  evaluated?: string[];
  /** Evaluation runs this job started and has not seen finish (a crash leaves them running). */
  pendingEvaluationRunIds?: number[];
}

/**
 * Trains the job's run with `trainRun` (which resumes from the run's last epoch checkpoint when a
 * previous attempt died), then evaluates the best checkpoint with `evaluateRun` on each dataset
 * asked for. The job checkpoint records finished stages, so a retry never trains or evaluates twice.
 */
export async function runTrainJob(ctx: JobContext): Promise<void> {
  const payload = parseTrainJobPayload(ctx.job.payload);
  const runStore = new RunStore(ctx.db);
  const run = await runStore.getById(payload.runId);
  if (!run) throw new JobPayloadError(`train job: run ${payload.runId} does not exist`, ['runId']);
  if (run.kind !== 'train') throw new JobPayloadError(`train job: run ${payload.runId} is a ${run.kind} run`, ['runId']);
  if (run.datasetId === null) throw new JobPayloadError(`train job: run ${payload.runId} names no dataset`, ['runId']);
  const dataset = await new DatasetStore(ctx.db).getById(run.datasetId);
  if (!dataset) throw new JobPayloadError(`train job: dataset ${run.datasetId} of run ${run.id} does not exist`, ['runId']);
  const state: TrainJobCheckpoint = { ...((ctx.checkpoint ?? {}) as TrainJobCheckpoint) };
  const evaluations = [...(payload.evaluateInternal ? [dataset.name] : []), ...payload.evaluateOn.filter((d) => d !== dataset.name || !payload.evaluateInternal)];
  const stopIfAborted = () => ctx.signal.throwIfAborted();

  if (!state.trained && run.status !== 'finished') {
    ctx.log(`training ${run.model} seed ${run.seed ?? 1} on ${dataset.name} (${payload.profile})`);
    const spec: TrainRunSpec = {
      model: run.model as TrainRunSpec['model'],
      dataset: dataset.name,
      seed: run.seed ?? 1,
      profile: payload.profile,
      overrides: {
        epochs: payload.epochs,
        batchSize: payload.batchSize,
        learningRate: payload.learningRate,
        inputHeight: payload.inputHeight,
        inputWidth: payload.inputWidth,
        widthMultiplier: payload.widthMultiplier,
        maxTrainSamples: payload.maxTrainSamples,
        maxValSamples: payload.maxValSamples,
        maxTestSamples: payload.maxTestSamples,
        gridStyle: payload.gridStyle,
        augment: payload.augment,
      },
      experimentId: run.experimentId,
      // The run created at launch, continued from its last epoch after a crash.
      runId: run.id,
      resume: true,
      // The runner settles the run under the job's lock.
      failRunOnError: false,
    };
    const onBatch = (step: number, totalSteps: number) => void ctx.reportProgress(step, totalSteps + evaluations.length).catch(() => undefined);
    const onEpoch = (metrics: EpochMetrics) => ctx.log(`epoch ${metrics.epoch}: val ROC-AUC ${metrics.valRocAuc.toFixed(3)}`);
    const databaseUrl = process.env.DATABASE_URL?.trim();
    const result = databaseUrl
      ? // A child process: a training step blocks its thread for up to a minute, and the worker's
        // heartbeats must keep firing meanwhile or another worker takes the job over.
        await trainRunInChild(spec, { databaseUrl, signal: ctx.signal, onBatch, onEpoch })
      : // Embedded PGlite belongs to this process; its in-process worker is the only one, so no one can take over.
        await trainRun(ctx.db, {
          ...spec,
          onBatch: (progress) => {
            stopIfAborted();
            onBatch(progress.step, progress.totalSteps);
          },
          onEpoch,
        });
    stopIfAborted();
    if (result.runId !== run.id) throw new Error(`trainRun trained run ${result.runId} instead of the launched run ${run.id}`);
    // trainRun records the backend on runs it creates; the launched run it adopted needs it too.
    await runStore.setBackend(run.id, result.backend);
  }
  state.trained = true;
  await ctx.saveCheckpoint({ ...state });

  const done = new Set(state.evaluated ?? []);
  for (const name of evaluations) {
    if (done.has(name)) continue;
    stopIfAborted();
    state.pendingEvaluationRunIds = await failAbandonedEvaluations(ctx.db, state.pendingEvaluationRunIds ?? []);
    ctx.log(`evaluating run ${run.id} on ${name}`);
    await evaluateOffLoop(
      ctx,
      { runId: run.id, dataset: name, split: 'test', maxSamples: payload.evaluateMaxSamples ?? null },
      { onRunCreated: (id) => ctx.saveCheckpoint({ ...state, pendingEvaluationRunIds: [...(state.pendingEvaluationRunIds ?? []), id] }) },
    );
    done.add(name);
    state.evaluated = [...done];
    state.pendingEvaluationRunIds = [];
    await ctx.saveCheckpoint({ ...state });
  }
}

/**
 * evaluateRun for a job: in a child process on PostgreSQL (inference batches are synchronous tfjs work
 * that would hold the worker's event loop and its heartbeats), in this process on embedded PGlite
 * (which a child cannot open; its in-process worker is the only one, so no one can take over).
 */
async function evaluateOffLoop(
  ctx: JobContext,
  spec: EvaluateRunSpec,
  hooks: { onProgress?: (done: number, total: number) => void; onRunCreated: (evaluationRunId: number) => Promise<void> },
): Promise<EvaluateRunResult> {
  const databaseUrl = process.env.DATABASE_URL?.trim();
  if (!databaseUrl) {
    return evaluateRun(ctx.db, {
      ...spec,
      onProgress: (done, total) => {
        ctx.signal.throwIfAborted();
        hooks.onProgress?.(done, total);
      },
      onRunCreated: hooks.onRunCreated,
    });
  }
  const result = await evaluateRunInChild(spec, {
    databaseUrl,
    signal: ctx.signal,
    onProgress: hooks.onProgress,
    onRunCreated: (id) => void hooks.onRunCreated(id).catch((error: unknown) => ctx.log(`could not record evaluation run ${id}: ${String(error)}`)),
  });
  ctx.signal.throwIfAborted();
  return result;
}

/** Evaluates a finished train run on a dataset (a new `evaluate` run, linked to the job when done). */
export async function runEvaluateJob(ctx: JobContext): Promise<void> {
  const payload = parseEvaluateJobPayload(ctx.job.payload);
  const pending = (ctx.checkpoint?.pendingEvaluationRunIds as number[] | undefined) ?? [];
  await failAbandonedEvaluations(ctx.db, pending);
  const result = await evaluateOffLoop(
    ctx,
    { runId: payload.trainRunId, dataset: payload.dataset, split: payload.split, maxSamples: payload.maxSamples ?? null, gridStyle: payload.gridStyle },
    {
      onProgress: (done, total) => void ctx.reportProgress(done, total).catch(() => undefined),
      onRunCreated: (id) => ctx.saveCheckpoint({ pendingEvaluationRunIds: [id] }),
    },
  );
  await new JobStore(ctx.db).setRunId(ctx.job.id, result.evaluationRunId);
}

/**
 * Runs the LLM arm for one model and page style (`runLlmArm`), with the provider built from the
 * worker's environment (keys never travel in payloads). Answers are cached in the database, so a
 * retried attempt only asks what the dead one had not; the `llm` run is linked to the job when done.
 */
export async function runLlmJob(ctx: JobContext): Promise<void> {
  const payload = parseLlmJobPayload(ctx.job.payload);
  const provider = providerFromEnv(payload.provider, payload.model);
  const result = await runLlmArm(
    ctx.db,
    {
      provider,
      datasetName: payload.dataset,
      split: payload.split,
      limit: payload.limit ?? null,
      repeats: payload.repeats,
      style: payload.style,
      dpi: payload.dpi,
      promptName: payload.promptName,
      temperature: payload.temperature,
      concurrency: payload.concurrency,
      requestsPerMinute: payload.requestsPerMinute ?? null,
      timeoutMs: payload.timeoutMs,
      ...(payload.experimentId !== undefined ? { experimentId: payload.experimentId } : {}),
    },
    (phase) => void ctx.reportProgress(phase.done, phase.total).catch(() => undefined),
    ctx.signal,
  );
  await new JobStore(ctx.db).setRunId(ctx.job.id, result.runId);
}

/**
 * An attempt that died mid-evaluation leaves its evaluate run `running` forever. A retry fails exactly
 * the runs its own earlier attempts recorded (the job checkpoint), never another job's evaluation of
 * the same run and dataset, so that only the new one counts (the summary reads finished runs).
 * Returns the ids still to watch (none).
 */
async function failAbandonedEvaluations(db: LeadwiseDatabase, runIds: readonly number[]): Promise<number[]> {
  const store = new RunStore(db);
  const abandoned = await store.listUnfinished(runIds, 'evaluate');
  for (const run of abandoned) await store.fail(run.id, 'the worker evaluating it stopped; evaluated again by a retry');
  return [];
}

/** The study's job handlers by kind. */
export function studyJobHandlers(): JobHandlerRegistry {
  return {
    train: runTrainJob,
    evaluate: runEvaluateJob,
    llm: runLlmJob,
  };
}
