import type { Command } from 'commander';
import { DEFAULT_PROMPT_NAME, DEFAULT_RETRY_POLICY, LlmConfigError, PROVIDER_ENV, PROVIDER_NAMES, providerFromEnv } from '@leadwise/llm';
import { PAGE_STYLES } from '@leadwise/render';
import { SCORED_SPLITS, type LlmArmResult } from '@leadwise/study';
import { createProgressBar, printResult } from '../cli-kit.ts';

interface LlmFlags {
  provider: string;
  model: string;
  dataset: string;
  split: string;
  limit?: string;
  repeats: string;
  style: string;
  prompt: string;
  concurrency: string;
  temperature: string;
  dpi: string;
  rpm?: string;
  timeout: string;
  attempts: string;
  score: string;
  fewShot?: string;
  logprobs?: boolean;
  json?: boolean;
}

function integer(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new LlmConfigError(`${flag} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function oneOf<T extends string>(value: string, flag: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new LlmConfigError(`${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));

function humanSummary(r: LlmArmResult): string {
  const lines = [
    `run ${r.runId}: ${r.provider} ${r.model}, prompt ${r.prompt.name}@${r.prompt.version} (${r.prompt.sha256.slice(0, 12)}), ${r.image.style} pages at ${r.image.dpi} DPI (${r.image.widthPx}x${r.image.heightPx} px)`,
    `${r.records} images x ${r.perRepeat.length} repeats = ${r.responses} answers: ${r.cached} cached, ${r.requested} requested, ${r.failed} failed, ${r.unparsed} unparsed, ${r.refusals} refusals, ${r.retries} retries`,
    `tokens in ${r.inputTokens}, out ${r.outputTokens}; estimated cost $${r.costUsd.toFixed(4)} (list prices, an estimate)`,
    `score source: ${r.scoreSource}${r.hardLabelOnly ? ' -- HARD LABELS ONLY: the "AUC" below is balanced accuracy, not a ranking AUC' : ''}`,
  ];
  for (const { repeat, metrics } of r.perRepeat) {
    lines.push(`  repeat ${repeat}: ${metrics ? `ROC-AUC ${fmt(metrics.rocAuc)} [${fmt(metrics.rocAucCiLow)}, ${fmt(metrics.rocAucCiHigh)}]  PR-AUC ${fmt(metrics.prAuc)}  (n ${metrics.scored})` : 'not computable (one class unscored)'}`);
  }
  const p = r.pooled;
  lines.push(`  pooled:   ${p ? `ROC-AUC ${fmt(p.rocAuc)} [${fmt(p.rocAucCiLow)}, ${fmt(p.rocAucCiHigh)}]  PR-AUC ${fmt(p.prAuc)} [${fmt(p.prAucCiLow)}, ${fmt(p.prAucCiHigh)}]  (n ${p.scored}, ${p.positives} abnormal)` : 'not computable'}`);
  lines.push(`agreement between repeats: Fleiss kappa ${fmt(r.agreement.fleissKappa)} over ${r.agreement.n} images`);
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('llm')
    .description(
      'Ask a multimodal LLM to classify rendered ECG pages as normal or abnormal, store every answer (cached: a re-run is free, ' +
        'an interrupted run resumes) and record an llm run with ROC-AUC/PR-AUC per repeat and pooled',
    )
    .requiredOption('--provider <name>', PROVIDER_NAMES.join(' | '))
    .requiredOption('--model <id>', 'model id, e.g. gpt-4.1, gpt-5.2, gemini-2.5-pro, or the served name on a compatible server')
    .requiredOption('--dataset <name>', 'imported dataset name')
    .option('--split <split>', 'train | val | test | all (every labelled record: an external test set without folds)', 'test')
    .option('--limit <n>', 'first n labelled records of the split (by id)')
    .option('--repeats <r>', 'answers per image', '1')
    .option('--style <style>', 'grid | none (grid-free)', 'grid')
    .option('--prompt <name>', 'prompt name (name or name@version): study-zero-shot, ordinal-confidence, probability-100, few-shot', DEFAULT_PROMPT_NAME)
    .option('--few-shot <k>', 'labelled examples for the few-shot prompt, from the train split', '4')
    .option('--concurrency <c>', 'requests in flight', '4')
    .option('--temperature <t>', 'sampling temperature (ignored by models that accept none, recorded as such)', '0')
    .option('--dpi <dpi>', 'page resolution sent', '200')
    .option('--rpm <n>', 'at most n requests per minute')
    .option('--timeout <ms>', 'per-request timeout in ms', '120000')
    .option('--attempts <n>', 'attempts per request (retries on 429/5xx/timeouts with backoff)', String(DEFAULT_RETRY_POLICY.maxAttempts))
    .option('--score <preference>', 'logprob-first | stated-first', 'logprob-first')
    .option('--no-logprobs', 'do not request token log-probabilities')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `\nEnvironment (keys are never stored or printed):\n` +
        `  openai      ${PROVIDER_ENV.openai.key} (required), ${PROVIDER_ENV.openai.baseUrl} (default ${PROVIDER_ENV.openai.defaultBaseUrl})\n` +
        `  gemini      ${PROVIDER_ENV.gemini.key} or GOOGLE_API_KEY (required), ${PROVIDER_ENV.gemini.baseUrl} (default ${PROVIDER_ENV.gemini.defaultBaseUrl})\n` +
        `  compatible  ${PROVIDER_ENV.compatible.baseUrl} (required, e.g. http://127.0.0.1:8000/v1), ${PROVIDER_ENV.compatible.key} (optional)\n`,
    )
    .action(async (opts: LlmFlags) => {
      const provider = providerFromEnv(opts.provider, opts.model, process.env, opts.logprobs === false ? { logprobs: false } : {});
      const split = oneOf(opts.split, '--split', SCORED_SPLITS);
      const style = oneOf(opts.style, '--style', PAGE_STYLES);
      const scorePreference = oneOf(opts.score, '--score', ['logprob-first', 'stated-first'] as const);
      const temperature = Number(opts.temperature);
      if (!Number.isFinite(temperature) || temperature < 0 || temperature > 2) throw new LlmConfigError(`--temperature must be a number from 0 to 2, got ${JSON.stringify(opts.temperature)}`);
      // Loaded here, not at the top: every command module is imported when the CLI starts.
      const [{ openDatabase }, { runLlmArm }] = await Promise.all([import('@leadwise/db'), import('@leadwise/study')]);
      const handle = await openDatabase();
      const bar = createProgressBar('llm', 0);
      const controller = new AbortController();
      const onSignal = () => controller.abort(new LlmConfigError('interrupted: answers so far are stored; run the same command again to resume'));
      process.once('SIGINT', onSignal);
      try {
        const result = await runLlmArm(
          handle.db,
          {
            provider,
            datasetName: opts.dataset,
            split,
            limit: integer(opts.limit, '--limit', 1) ?? null,
            repeats: integer(opts.repeats, '--repeats', 1) ?? 1,
            style,
            dpi: integer(opts.dpi, '--dpi', 20) ?? 200,
            promptName: opts.prompt,
            temperature,
            concurrency: integer(opts.concurrency, '--concurrency', 1) ?? 4,
            requestsPerMinute: integer(opts.rpm, '--rpm', 1) ?? null,
            timeoutMs: integer(opts.timeout, '--timeout', 100) ?? 120_000,
            retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: integer(opts.attempts, '--attempts', 1) ?? DEFAULT_RETRY_POLICY.maxAttempts },
            scorePreference,
            fewShot: { k: integer(opts.fewShot, '--few-shot', 1) ?? 4, split: split === 'train' ? 'val' : 'train' },
          },
          (phase) => {
            const llm = phase.llm;
            bar.update(phase.done, phase.total, llm ? `${phase.phase} cached ${llm.cached} failed ${llm.failed} unparsed ${llm.unparsed} $${llm.costUsd.toFixed(3)}` : phase.phase);
          },
          controller.signal,
        );
        bar.stop();
        printResult(result, opts.json, humanSummary);
      } finally {
        process.off('SIGINT', onSignal);
        bar.stop();
        await handle.close();
      }
    });
}
