import { createHash } from 'node:crypto';
import { DatasetStore, ExperimentStore, PredictionStore, RecordStore, RunStore, withRun, type Dataset, type LeadwiseDatabase, type ParamValue, type RecordRow } from '@leadwise/db';
import type { RenderOptions } from '@leadwise/render';
import {
  DEFAULT_RETRY_POLICY,
  LlmConfigError,
  effectivePromptHash,
  getPrompt,
  redactSecrets,
  repeatAgreement,
  runLlmJobs,
  summarizeScoreSources,
  type FewShotExample,
  type LlmImage,
  type LlmJob,
  type LlmProgress,
  type LlmProvider,
  type LlmResponseRecord,
  type RegisteredPrompt,
  type RetryPolicy,
  type ScorePreference,
} from '@leadwise/llm';
import { computeEvaluationMetrics, type EvaluationMetrics } from '../summary/record-evaluation-metrics.ts';
import { SUMMARY_METRIC_KEYS } from '../summary/summary-metrics.ts';
import { LLM_PARAM_KEYS } from '../run-param-keys.ts';
import { DbLlmResponseCache } from './db-response-cache.ts';
import type { ScoredSplit } from '../training/training-records.ts';
import { llmRenderOptions, prepareLlmPages, type LlmImageStyle } from './llm-pages.ts';

/** An LLM arm run that could not measure anything (every request failed); its run ends FAILED. */
export class LlmArmError extends Error {
  override name = 'LlmArmError';
}

export interface LlmArmInput {
  provider: LlmProvider;
  datasetName: string;
  /** The split evaluated; 'all' takes every labelled record whatever its split (an external test set). */
  split: ScoredSplit;
  /** First N labelled records of the split by id (deterministic); all when omitted. */
  limit?: number | null;
  repeats: number;
  style: LlmImageStyle;
  dpi: number;
  promptName: string;
  temperature: number;
  concurrency: number;
  requestsPerMinute?: number | null;
  timeoutMs: number;
  retry?: RetryPolicy;
  scorePreference?: ScorePreference;
  /** Few-shot prompts: labelled examples drawn from this split (never the evaluated one). */
  fewShot?: { k: number; split: 'train' | 'val' };
  /** The experiment the run belongs to; by default one per dataset (`llm-arm:<dataset>`). */
  experimentId?: number;
  bootstrap?: { resamples: number; seed: number };
  /** Where newly rendered pages go (default `$LEADWISE_HOME/pages/<style hash>`), and how many render threads. */
  pages?: { outDir?: string; workers?: number };
}

export interface LlmArmPhase {
  phase: 'rendering' | 'asking' | 'metrics';
  done: number;
  total: number;
  llm?: LlmProgress;
}

export interface LlmArmMetrics extends EvaluationMetrics {
  /** Images with a score / images asked. */
  scored: number;
}

export interface LlmArmResult {
  runId: number;
  experimentId: number;
  model: string;
  provider: string;
  prompt: { name: string; version: number; sha256: string; effectiveHash: string };
  records: number;
  responses: number;
  cached: number;
  requested: number;
  failed: number;
  unparsed: number;
  refusals: number;
  retries: number;
  inputTokens: number;
  outputTokens: number;
  /** Estimated from list prices (libs/llm model catalogue). */
  costUsd: number;
  scoreSource: string;
  hardLabelOnly: boolean;
  image: { style: LlmImageStyle; dpi: number; widthPx: number | null; heightPx: number | null };
  /** Per repeat, then pooled (mean score per image over repeats); null where a class had no scored image. */
  perRepeat: { repeat: number; metrics: LlmArmMetrics | null }[];
  pooled: LlmArmMetrics | null;
  agreement: { fleissKappa: number | null; n: number };
  wallMs: number;
  /** Where the time went: rendering pages, asking the model (cache reads included), metrics. */
  phaseMs: { render: number; ask: number; metrics: number };
}

/** Metric keys of LLM runs, beside the `eval.*` keys the study summary reads (pooled values go there). */
export const LLM_METRIC_KEYS = {
  repeatRocAuc: 'llm.repeat.roc_auc',
  repeatPrAuc: 'llm.repeat.pr_auc',
  repeatScored: 'llm.repeat.scored',
  fleissKappa: 'llm.agreement.fleiss_kappa',
  coverage: 'llm.coverage',
  unparsed: 'llm.unparsed',
  failed: 'llm.failed',
  refusals: 'llm.refusals',
  retries: 'llm.retries',
  inputTokens: 'llm.input_tokens',
  outputTokens: 'llm.output_tokens',
  costUsd: 'llm.cost_usd_estimate',
  hardLabelOnly: 'llm.hard_label_only',
} as const;

function pageOf(pages: ReadonlyMap<number, LlmImage>, row: RecordRow): LlmImage {
  const page = pages.get(row.id);
  if (!page) throw new Error(`no page was prepared for record ${row.externalId}`);
  return page;
}

async function splitRecords(db: LeadwiseDatabase, datasetId: number, split: string): Promise<RecordRow[]> {
  const store = new RecordStore(db);
  const rows: RecordRow[] = [];
  let afterId: number | null = null;
  for (;;) {
    const page = await store.list({ datasetId, ...(split === 'all' ? {} : { split: split as RecordRow['split'] }) }, { afterId, limit: 1000 });
    rows.push(...page.items);
    if (page.nextCursor === null) break;
    afterId = page.nextCursor;
  }
  return rows.filter((row) => row.label === 'normal' || row.label === 'abnormal');
}

function metricsOf(labels: number[], scores: (number | null)[], bootstrap: { resamples: number; seed: number }): LlmArmMetrics | null {
  const kept = labels.map((label, i) => [label, scores[i]] as const).filter((pair): pair is readonly [number, number] => pair[1] !== null);
  const positives = kept.filter(([label]) => label === 1).length;
  if (positives === 0 || positives === kept.length) return null;
  const metrics = computeEvaluationMetrics(
    kept.map(([label]) => label),
    kept.map(([, score]) => score),
    bootstrap,
  );
  return { ...metrics, scored: kept.length };
}

/**
 * The LLM arm of the study for one model, prompt and image style: renders the split's pages, asks
 * the model about each page `repeats` times through the response cache (a re-run pays for nothing
 * already answered; an interrupted run resumes), stores every answer, and records an `llm` run with
 * its params and metrics (ROC-AUC and PR-AUC with bootstrap CIs per repeat and pooled, agreement
 * between repeats, tokens, estimated cost).
 */
export async function runLlmArm(db: LeadwiseDatabase, input: LlmArmInput, onProgress?: (phase: LlmArmPhase) => void, signal?: AbortSignal): Promise<LlmArmResult> {
  const startMs = Date.now();
  const prompt = getPrompt(input.promptName);
  if (!Number.isInteger(input.repeats) || input.repeats < 1) throw new LlmConfigError(`repeats must be a positive integer, got ${input.repeats}`);
  const { dataset, records } = await evaluatedRecords(db, input);
  const renderOptions = llmRenderOptions(input.style, input.dpi);
  const examples = prompt.fewShot ? await fewShotExamples(db, input, dataset, records, renderOptions) : [];

  // Pages are kept in memory for the run (about 100-300 kB each at 100-200 DPI).
  const renderStartMs = Date.now();
  const pageByRecord = await prepareLlmPages(db, records, renderOptions, { ...input.pages, onProgress: (done, total) => onProgress?.({ phase: 'rendering', done, total }) });
  const renderMs = Date.now() - renderStartMs;
  const recordKey = (row: RecordRow) => `${dataset.name}/${row.externalId}`;
  const recordIds = new Map(records.map((row) => [recordKey(row), row.id]));
  const jobs = llmJobs(records, pageByRecord, recordKey, input);
  const firstImage = pageOf(pageByRecord, records[0]);
  const experimentId = input.experimentId ?? (await datasetLlmExperiment(db, dataset.name));
  const effectiveHash = effectivePromptHash(prompt, examples);
  const runs = new RunStore(db);
  const newRun = {
    experimentId,
    kind: 'llm',
    model: input.provider.model,
    backend: `${input.provider.provider} ${redactSecrets(input.provider.baseUrl)}`,
    datasetId: dataset.id,
    name: `${input.provider.model} ${prompt.name}@${prompt.version} ${input.style} x${input.repeats}`,
  } as const;
  const params = llmRunParams(input, { prompt, effectiveHash, examples: examples.length, firstImage, renderOptions, dataset: dataset.name, records: records.length });

  // The error is stored redacted and without its class name: provider messages may echo a key.
  return withRun(
    runs,
    { run: newRun, params, errorText: (error) => redactSecrets(error instanceof Error ? error.message : String(error)) },
    async (run) => {
      const cache = new DbLlmResponseCache({ db, runId: run.id, prompt, recordIds, imageStyle: input.style });
      const askStartMs = Date.now();
      const summary = await runLlmJobs({
        provider: input.provider,
        prompt,
        examples,
        jobs,
        cache,
        temperature: input.temperature,
        concurrency: input.concurrency,
        requestsPerMinute: input.requestsPerMinute,
        timeoutMs: input.timeoutMs,
        retry: input.retry,
        scorePreference: input.scorePreference,
        signal,
        onProgress: (llm) => onProgress?.({ phase: 'asking', done: llm.done, total: llm.total, llm }),
      });
      failIfNothingAnswered(summary.records, input.provider.model);
      const askMs = Date.now() - askStartMs;
      const metricsStartMs = Date.now();
      onProgress?.({ phase: 'metrics', done: 0, total: input.repeats + 1 });
      const result = await recordLlmMetrics(db, run.id, records, summary.records, input, summary.retries);
      await runs.logParams(run.id, { [LLM_PARAM_KEYS.scoreSource]: result.scoreSource, [LLM_PARAM_KEYS.hardLabelOnly]: result.hardLabelOnly });
      const metricsMs = Date.now() - metricsStartMs;
      return {
        ...result,
        runId: run.id,
        experimentId,
        model: input.provider.model,
        provider: input.provider.provider,
        prompt: { name: prompt.name, version: prompt.version, sha256: prompt.sha256, effectiveHash },
        records: records.length,
        responses: summary.records.length,
        cached: summary.cached,
        requested: summary.requested,
        failed: summary.failed,
        unparsed: summary.unparsed,
        retries: summary.retries,
        inputTokens: summary.inputTokens,
        outputTokens: summary.outputTokens,
        costUsd: summary.costUsd,
        image: { style: input.style, dpi: firstImage.dpi ?? input.dpi, widthPx: firstImage.widthPx, heightPx: firstImage.heightPx },
        wallMs: Date.now() - startMs,
        phaseMs: { render: renderMs, ask: askMs, metrics: metricsMs },
      };
    },
  );
}

/** The dataset and the labelled records of the evaluated split (the first `limit` by id). */
async function evaluatedRecords(db: LeadwiseDatabase, input: LlmArmInput): Promise<{ dataset: Dataset; records: RecordRow[] }> {
  const dataset = await new DatasetStore(db).getByName(input.datasetName);
  if (!dataset) throw new LlmConfigError(`dataset "${input.datasetName}" is not imported (see \`leadwise datasets\`)`);
  const all = await splitRecords(db, dataset.id, input.split);
  if (all.length === 0) {
    throw new LlmConfigError(
      input.split === 'all'
        ? `dataset "${input.datasetName}" has no labelled records`
        : `dataset "${input.datasetName}" has no labelled records in split "${input.split}"; ask about every record with --split all, or split it first (leadwise split ${input.datasetName} ...)`,
    );
  }
  return { dataset, records: input.limit ? all.slice(0, input.limit) : all };
}

/** Few-shot examples: balanced, from another split, never sharing a patient with an evaluated record. */
async function fewShotExamples(db: LeadwiseDatabase, input: LlmArmInput, dataset: Dataset, records: RecordRow[], renderOptions: RenderOptions): Promise<FewShotExample[]> {
  const fewShot = input.fewShot ?? { k: 4, split: 'train' as const };
  if (input.split === 'all') throw new LlmConfigError('a few-shot prompt needs examples from another split, so it cannot evaluate --split all');
  if (fewShot.split === input.split) throw new LlmConfigError(`few-shot examples must come from a split other than the evaluated "${input.split}"`);
  const evaluatedPatients = new Set(records.map((r) => r.patientId).filter((p): p is string => p !== null));
  const pool = (await splitRecords(db, dataset.id, fewShot.split)).filter((r) => r.patientId === null || !evaluatedPatients.has(r.patientId));
  const abnormal = pool.filter((r) => r.label === 'abnormal').slice(0, Math.ceil(fewShot.k / 2));
  const normal = pool.filter((r) => r.label === 'normal').slice(0, Math.floor(fewShot.k / 2));
  const chosen = [...abnormal, ...normal];
  const examplePages = await prepareLlmPages(db, chosen, renderOptions, input.pages);
  const examples = chosen.map((row) => ({
    image: pageOf(examplePages, row),
    label: row.label as 'normal' | 'abnormal',
    recordKey: `${dataset.name}/${row.externalId}`,
    split: fewShot.split,
    patientKey: row.patientId,
  }));
  if (examples.length < fewShot.k) throw new LlmConfigError(`only ${examples.length} few-shot examples available in split "${fewShot.split}", ${fewShot.k} asked`);
  return examples;
}

/** One request per record and repeat, each over the record's page. */
function llmJobs(records: RecordRow[], pages: ReadonlyMap<number, LlmImage>, recordKey: (row: RecordRow) => string, input: LlmArmInput): LlmJob[] {
  return records.flatMap((row) => {
    const image = pageOf(pages, row);
    return Array.from({ length: input.repeats }, (_, repeat) => ({
      recordKey: recordKey(row),
      split: input.split,
      patientKey: row.patientId,
      imageSha256: image.sha256,
      repeat,
      loadImage: async () => image,
    }));
  });
}

/** The default experiment of LLM runs on a dataset (`llm-arm:<dataset>`). */
async function datasetLlmExperiment(db: LeadwiseDatabase, datasetName: string): Promise<number> {
  const { experiment } = await new ExperimentStore(db).createOrGet({
    name: `llm-arm:${datasetName}`,
    config: { kind: 'llm-arm', dataset: datasetName },
    configHash: createHash('sha256').update(`llm-arm:${datasetName}`).digest('hex'),
  });
  return experiment.id;
}

interface LlmRunFacts {
  prompt: RegisteredPrompt;
  effectiveHash: string;
  examples: number;
  firstImage: LlmImage;
  renderOptions: RenderOptions;
  dataset: string;
  records: number;
}

/** What an LLM run records about how it asked (LLM_PARAM_KEYS). */
function llmRunParams(input: LlmArmInput, facts: LlmRunFacts): Record<string, ParamValue> {
  const { prompt, firstImage } = facts;
  return {
    [LLM_PARAM_KEYS.provider]: input.provider.provider,
    [LLM_PARAM_KEYS.model]: input.provider.model,
    [LLM_PARAM_KEYS.promptName]: prompt.name,
    [LLM_PARAM_KEYS.promptVersion]: prompt.version,
    [LLM_PARAM_KEYS.promptSha256]: prompt.sha256,
    [LLM_PARAM_KEYS.promptEffectiveHash]: facts.effectiveHash,
    [LLM_PARAM_KEYS.promptFewShotK]: facts.examples,
    [LLM_PARAM_KEYS.temperature]: input.temperature,
    [LLM_PARAM_KEYS.temperatureSent]: input.provider.info.temperature ? String(input.temperature) : 'model default (not accepted)',
    [LLM_PARAM_KEYS.logprobsRequested]: input.provider.info.logprobs,
    [LLM_PARAM_KEYS.scorePreference]: input.scorePreference ?? 'logprob-first',
    [LLM_PARAM_KEYS.style]: input.style,
    [LLM_PARAM_KEYS.dpi]: firstImage.dpi ?? input.dpi,
    [LLM_PARAM_KEYS.imageWidthPx]: firstImage.widthPx,
    [LLM_PARAM_KEYS.imageHeightPx]: firstImage.heightPx,
    [LLM_PARAM_KEYS.imageRenderOptions]: JSON.stringify(facts.renderOptions),
    [LLM_PARAM_KEYS.repeats]: input.repeats,
    [LLM_PARAM_KEYS.dataset]: facts.dataset,
    [LLM_PARAM_KEYS.split]: input.split,
    [LLM_PARAM_KEYS.records]: facts.records,
    [LLM_PARAM_KEYS.concurrency]: input.concurrency,
    [LLM_PARAM_KEYS.requestsPerMinute]: input.requestsPerMinute ?? 0,
    [LLM_PARAM_KEYS.timeoutMs]: input.timeoutMs,
    [LLM_PARAM_KEYS.maxAttempts]: (input.retry ?? DEFAULT_RETRY_POLICY).maxAttempts,
  };
}

/**
 * A run with no answer at all measured nothing: it fails (and `leadwise llm` exits non-zero) rather
 * than finishing with empty metrics. Failed rows are asked again by a re-run.
 */
function failIfNothingAnswered(responses: readonly LlmResponseRecord[], model: string): void {
  if (responses.length === 0 || responses.some((r) => r.status === 'ok')) return;
  const firstError = responses.find((r) => r.error)?.error ?? 'no answer';
  throw new LlmArmError(`all ${responses.length} requests to ${model} failed; the first: ${firstError}`);
}

type MetricsPart = Pick<LlmArmResult, 'perRepeat' | 'pooled' | 'agreement' | 'scoreSource' | 'hardLabelOnly' | 'refusals'>;

/** Per-repeat and pooled metrics, agreement and counts, logged on the run; pooled scores stored as predictions. */
async function recordLlmMetrics(db: LeadwiseDatabase, runId: number, records: RecordRow[], responses: LlmResponseRecord[], input: LlmArmInput, retries: number): Promise<MetricsPart> {
  const bootstrap = input.bootstrap ?? { resamples: 2000, seed: 20260626 };
  const index = new Map(records.map((row, i) => [`${input.datasetName}/${row.externalId}`, i]));
  const labels = records.map((row) => (row.label === 'abnormal' ? 1 : 0));
  const byRepeat = Array.from({ length: input.repeats }, () => new Array<number | null>(records.length).fill(null));
  for (const response of responses) {
    const i = index.get(response.recordKey);
    if (i !== undefined && response.status === 'ok') byRepeat[response.repeat][i] = response.score;
  }
  const perRepeat = byRepeat.map((scores, repeat) => ({ repeat, metrics: metricsOf(labels, scores, bootstrap) }));
  const pooledScores = records.map((_, i) => {
    const values = byRepeat.map((scores) => scores[i]).filter((s): s is number => s !== null);
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  });
  const pooled = metricsOf(labels, pooledScores, bootstrap);
  const sources = summarizeScoreSources(responses);
  const agreement = repeatAgreement(responses);
  const refusals = responses.filter((r) => r.refusal).length;

  const points: { key: string; value: number; step?: number }[] = [];
  for (const { repeat, metrics } of perRepeat) {
    if (!metrics) continue;
    points.push({ key: LLM_METRIC_KEYS.repeatRocAuc, value: metrics.rocAuc, step: repeat });
    points.push({ key: LLM_METRIC_KEYS.repeatPrAuc, value: metrics.prAuc, step: repeat });
    points.push({ key: LLM_METRIC_KEYS.repeatScored, value: metrics.scored, step: repeat });
  }
  if (pooled) {
    for (const [name, key] of Object.entries(SUMMARY_METRIC_KEYS)) points.push({ key, value: pooled[name as keyof typeof SUMMARY_METRIC_KEYS] });
  }
  const count = (predicate: (r: LlmResponseRecord) => boolean) => responses.filter(predicate).length;
  points.push(
    { key: LLM_METRIC_KEYS.coverage, value: pooledScores.filter((s) => s !== null).length / Math.max(records.length, 1) },
    { key: LLM_METRIC_KEYS.unparsed, value: count((r) => r.parseStatus === 'unparsed') },
    { key: LLM_METRIC_KEYS.failed, value: count((r) => r.status === 'error') },
    { key: LLM_METRIC_KEYS.refusals, value: refusals },
    { key: LLM_METRIC_KEYS.retries, value: retries },
    { key: LLM_METRIC_KEYS.inputTokens, value: responses.reduce((s, r) => s + (r.inputTokens ?? 0), 0) },
    { key: LLM_METRIC_KEYS.outputTokens, value: responses.reduce((s, r) => s + (r.outputTokens ?? 0), 0) },
    { key: LLM_METRIC_KEYS.costUsd, value: responses.reduce((s, r) => s + (r.costUsd ?? 0), 0) },
    { key: LLM_METRIC_KEYS.hardLabelOnly, value: sources.hardLabelOnly ? 1 : 0 },
  );
  if (agreement.fleiss.kappa !== null) points.push({ key: LLM_METRIC_KEYS.fleissKappa, value: agreement.fleiss.kappa });
  const timestamp = new Date();
  await new RunStore(db).logMetrics(runId, points.map((p) => ({ key: p.key, value: p.value, step: p.step ?? 0, timestamp })));

  // Pooled scores as predictions, so the API and report read LLM rows like any model's.
  const predictions = records.flatMap((row, i) => {
    const score = pooledScores[i];
    return score === null ? [] : [{ runId, recordId: row.id, datasetId: row.datasetId, split: row.split, trueLabel: labels[i], score, predictedLabel: score >= 0.5 ? 1 : 0 }];
  });
  if (predictions.length > 0) await new PredictionStore(db).upsertMany(predictions);

  return { perRepeat, pooled, agreement: { fleissKappa: agreement.fleiss.kappa, n: agreement.fleiss.n }, scoreSource: sources.scoreSource, hardLabelOnly: sources.hardLabelOnly, refusals };
}
