import { parseAnswer } from './answer-parser.ts';
import { LlmConfigError, LlmRequestError } from './errors.ts';
import { effectivePromptHash, type FewShotExample, type LlmImage } from './llm-request.ts';
import { labelProbabilityFromLogprobs } from './logprob-score.ts';
import { estimateCostUsd } from './model-catalog.ts';
import type { RegisteredPrompt } from './prompts.ts';
import type { LlmCompletion, LlmProvider } from './provider.ts';
import { RequestPacer } from './rate-limiter.ts';
import { cacheKeyString, type LlmCacheKey, type LlmResponseCache, type LlmResponseRecord, type ScoreSource } from './response-record.ts';
import { DEFAULT_RETRY_POLICY, retryDelayMs, sleep, type RetryPolicy } from './retry-policy.ts';

/** One image to ask about, once per repeat. The image is loaded only when a request is needed. */
export interface LlmJob {
  recordKey: string;
  split: string;
  patientKey?: string | null;
  imageSha256: string;
  repeat: number;
  loadImage(): Promise<LlmImage>;
}

/** `logprob-first`: P(label token) when the response has logprobs, else the stated score. */
export type ScorePreference = 'logprob-first' | 'stated-first';

export interface LlmRunOptions {
  provider: LlmProvider;
  prompt: RegisteredPrompt;
  examples?: readonly FewShotExample[];
  jobs: readonly LlmJob[];
  cache: LlmResponseCache;
  temperature: number;
  concurrency: number;
  requestsPerMinute?: number | null;
  /** Per attempt; a hung request is aborted and retried. */
  timeoutMs: number;
  retry?: RetryPolicy;
  scorePreference?: ScorePreference;
  maxOutputTokens?: number;
  onProgress?: (progress: LlmProgress) => void;
  /** Called before each retry wait, with the delay chosen (for logs and tests). */
  onRetry?: (event: { recordKey: string; repeat: number; attempt: number; delayMs: number; error: LlmRequestError }) => void;
  signal?: AbortSignal;
  random?: () => number;
}

export interface LlmProgress {
  total: number;
  done: number;
  cached: number;
  failed: number;
  unparsed: number;
  retries: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface LlmRunSummary extends LlmProgress {
  /** New rows stored by this run (successes and final failures). */
  requested: number;
  wallMs: number;
  /** One row per job, cached or new, in job order. */
  records: LlmResponseRecord[];
}

export function cacheModelId(provider: Pick<LlmProvider, 'provider' | 'model'>): string {
  return `${provider.provider}:${provider.model}`;
}

/** Picks the score used for ranking and says where it came from; a bare label becomes 1/0, flagged. */
export function chooseScore(
  statedScore: number | null,
  logprobScore: number | null,
  label: 'normal' | 'abnormal' | null,
  scale: RegisteredPrompt['scale'],
  preference: ScorePreference,
): { score: number | null; scoreSource: ScoreSource } {
  const stated = statedScore === null ? null : { score: statedScore, scoreSource: (scale === 'ordinal-5' ? 'ordinal-scale' : 'stated-probability') as ScoreSource };
  const logprob = logprobScore === null ? null : { score: logprobScore, scoreSource: 'label-logprob' as ScoreSource };
  const picked = preference === 'logprob-first' ? (logprob ?? stated) : (stated ?? logprob);
  if (picked) return picked;
  if (label) return { score: label === 'abnormal' ? 1 : 0, scoreSource: 'hard-label' };
  return { score: null, scoreSource: 'none' };
}

function emptyRecord(options: LlmRunOptions, key: LlmCacheKey, job: LlmJob): LlmResponseRecord {
  return {
    ...key,
    provider: options.provider.provider,
    modelId: options.provider.model,
    servedModel: null,
    promptName: options.prompt.name,
    promptVersion: options.prompt.version,
    recordKey: job.recordKey,
    status: 'error',
    parseStatus: null,
    parseMethod: null,
    label: null,
    statedScore: null,
    logprobScore: null,
    score: null,
    scoreSource: 'none',
    narrative: null,
    refusal: false,
    rawText: null,
    finishReason: null,
    notes: [],
    temperature: options.provider.info.temperature ? options.temperature : null,
    logprobsRequested: false,
    latencyMs: null,
    inputTokens: null,
    outputTokens: null,
    reasoningTokens: null,
    costUsd: null,
    attempts: 0,
    error: null,
    errorKind: null,
    imageWidthPx: null,
    imageHeightPx: null,
    imageDpi: null,
    imageBytes: null,
    createdAt: new Date(),
  };
}

/** Builds the stored row for a successful exchange: parse, score, cost. */
export function recordFromCompletion(base: LlmResponseRecord, completion: LlmCompletion, options: Pick<LlmRunOptions, 'provider' | 'prompt' | 'scorePreference'>): LlmResponseRecord {
  const parsed = parseAnswer(completion.text, options.prompt.scale);
  const fromLogprobs = completion.logprobs ? labelProbabilityFromLogprobs(completion.logprobs) : null;
  const logprobScore = fromLogprobs?.pAbnormal ?? null;
  const notes = [...parsed.notes];
  if (fromLogprobs && parsed.label && fromLogprobs.chosenLabel !== parsed.label) notes.push('logprob label step disagrees with the parsed label');
  if (completion.logprobsRequested && !completion.logprobs) notes.push('logprobs requested but none returned');
  const { score, scoreSource } = chooseScore(parsed.statedScore, logprobScore, parsed.label, options.prompt.scale, options.scorePreference ?? 'logprob-first');
  const costUsd = completion.inputTokens !== null && completion.outputTokens !== null ? estimateCostUsd(options.provider.info, completion.inputTokens, completion.outputTokens) : null;
  return {
    ...base,
    status: 'ok',
    servedModel: completion.servedModel,
    parseStatus: parsed.status,
    parseMethod: parsed.method,
    label: parsed.label,
    statedScore: parsed.statedScore,
    logprobScore,
    score,
    scoreSource,
    narrative: parsed.narrative,
    refusal: parsed.refusal || completion.refusal !== null,
    rawText: completion.text ?? completion.refusal,
    finishReason: completion.finishReason,
    notes,
    temperature: completion.temperatureSent,
    logprobsRequested: completion.logprobsRequested,
    inputTokens: completion.inputTokens,
    outputTokens: completion.outputTokens,
    reasoningTokens: completion.reasoningTokens,
    costUsd,
    error: null,
    errorKind: null,
  };
}

/**
 * Asks the model about every job not already answered in the cache, with bounded concurrency,
 * request pacing, per-attempt timeouts and retries (exponential backoff with full jitter, honouring
 * Retry-After). Every answer is saved as it arrives, so an interrupted run loses at most the
 * requests in flight, and a re-run asks only for what is missing (or failed last time).
 */
export async function runLlmJobs(options: LlmRunOptions): Promise<LlmRunSummary> {
  const startMs = Date.now();
  const { provider, prompt, cache } = options;
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new LlmConfigError(`concurrency must be a positive integer, got ${options.concurrency}`);
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const random = options.random ?? Math.random;
  const promptHash = effectivePromptHash(prompt, options.examples);
  const model = cacheModelId(provider);
  const keyOf = (job: LlmJob): LlmCacheKey => ({ model, promptHash, imageSha256: job.imageSha256, repeat: job.repeat });

  const keys = options.jobs.map(keyOf);
  const seen = new Set<string>();
  for (const key of keys) {
    const id = cacheKeyString(key);
    if (seen.has(id)) throw new LlmConfigError(`two jobs share the cache key ${id} (same image and repeat)`);
    seen.add(id);
  }
  const stored = new Map((await cache.findMany(keys)).map((row) => [cacheKeyString(row), row]));
  const expectedTemperature = provider.info.temperature ? options.temperature : null;
  for (const row of stored.values()) {
    if (row.status === 'ok' && row.temperature !== expectedTemperature) {
      throw new LlmConfigError(
        `cached answers for ${row.model} with prompt ${row.promptHash.slice(0, 12)} were made at temperature ${row.temperature}, this run asks for ${expectedTemperature}; ` +
          'the cache key does not include temperature, so use the same temperature or another prompt/model id',
      );
    }
  }

  const records: (LlmResponseRecord | null)[] = keys.map((key) => {
    const row = stored.get(cacheKeyString(key));
    return row && row.status === 'ok' ? row : null;
  });
  const progress: LlmProgress = { total: keys.length, done: 0, cached: 0, failed: 0, unparsed: 0, retries: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  for (const row of records) {
    if (!row) continue;
    progress.done++;
    progress.cached++;
    if (row.parseStatus === 'unparsed') progress.unparsed++;
  }
  options.onProgress?.({ ...progress });

  const pending = keys.map((_, i) => i).filter((i) => records[i] === null);
  const pacer = new RequestPacer(options.requestsPerMinute ?? null);
  let requested = 0;
  let next = 0;
  let fatal: unknown = null;

  const runOne = async (index: number): Promise<void> => {
    const job = options.jobs[index];
    const base = emptyRecord(options, keys[index], job);
    const image = await job.loadImage();
    if (image.sha256 !== job.imageSha256) throw new LlmConfigError(`image for ${job.recordKey} hashes to ${image.sha256}, job says ${job.imageSha256}`);
    Object.assign(base, { imageWidthPx: image.widthPx, imageHeightPx: image.heightPx, imageDpi: image.dpi, imageBytes: image.bytes.byteLength });
    const request = {
      prompt,
      image,
      target: { recordKey: job.recordKey, split: job.split, patientKey: job.patientKey ?? null },
      examples: options.examples,
      temperature: options.temperature,
      maxOutputTokens: options.maxOutputTokens,
    };
    let record: LlmResponseRecord | null = null;
    for (let attempt = 1; record === null; attempt++) {
      await pacer.acquire(options.signal);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new LlmRequestError(`${model}: no answer within ${options.timeoutMs} ms`, 'timeout')), options.timeoutMs);
      const onOuterAbort = () => controller.abort(new LlmRequestError(`${model}: run aborted`, 'aborted'));
      options.signal?.addEventListener('abort', onOuterAbort, { once: true });
      const sentMs = performance.now();
      try {
        const completion = await provider.complete(request, { signal: controller.signal });
        record = recordFromCompletion({ ...base, attempts: attempt, latencyMs: Math.round(performance.now() - sentMs), createdAt: new Date() }, completion, options);
      } catch (error) {
        if (!(error instanceof LlmRequestError)) throw error;
        if (error.kind === 'aborted') throw error;
        if (error.retryable && attempt < policy.maxAttempts) {
          const delayMs = retryDelayMs(attempt, error, policy, random);
          if (error.kind === 'rate-limit' && error.retryAfterMs !== null) pacer.pauseUntil(Date.now() + delayMs);
          progress.retries++;
          options.onRetry?.({ recordKey: job.recordKey, repeat: job.repeat, attempt, delayMs, error });
          await sleep(delayMs, options.signal);
          continue;
        }
        record = { ...base, attempts: attempt, error: error.message, errorKind: error.kind, createdAt: new Date() };
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onOuterAbort);
      }
    }
    await cache.save(record);
    requested++;
    records[index] = record;
    progress.done++;
    if (record.status === 'error') progress.failed++;
    if (record.parseStatus === 'unparsed') progress.unparsed++;
    progress.inputTokens += record.inputTokens ?? 0;
    progress.outputTokens += record.outputTokens ?? 0;
    progress.costUsd += record.costUsd ?? 0;
    options.onProgress?.({ ...progress });
  };

  const worker = async (): Promise<void> => {
    while (fatal === null && next < pending.length) {
      const index = pending[next++];
      try {
        await runOne(index);
      } catch (error) {
        fatal ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, Math.max(pending.length, 1)) }, worker));
  if (fatal !== null) throw fatal;

  return { ...progress, requested, wallMs: Date.now() - startMs, records: records.filter((row): row is LlmResponseRecord => row !== null) };
}
