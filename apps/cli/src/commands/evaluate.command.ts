import { Option, type Command } from 'commander';
import { openDatabase } from '@leadwise/db';
import { EVALUATION_ENGINES, evaluateRun, SCORED_SPLITS, type EvaluateRunResult, type EvaluationEngine, type ScoredSplit } from '@leadwise/study';
import { createProgressBar, formatSeconds, printResult, UsageError, type ProgressBar } from '../cli-kit.ts';

interface EvaluateFlags {
  run: string;
  dataset: string;
  split: ScoredSplit;
  max?: string;
  engine: EvaluationEngine;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('evaluate')
    .description('Score a trained run on a dataset (internal or external): per-sample predictions and lead-group attributions, ROC/PR-AUC with CIs')
    .requiredOption('--run <id>', 'train run id (leadwise train prints it)')
    .requiredOption('--dataset <name>', 'imported dataset name')
    .addOption(
      new Option('--split <split>', 'split to score; a dataset without that split (external) is scored whole').choices(SCORED_SPLITS).default('test'),
    )
    .option('--max <n>', 'cap on records (stratified subset)')
    .addOption(new Option('--engine <engine>', 'inference engine: tfjs, or onnx (exported and run by onnxruntime-node; faster on large sets)').choices(EVALUATION_ENGINES).default('tfjs'))
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  leadwise evaluate --run 12 --dataset chapman\n')
    .action(async (flags: EvaluateFlags) => {
      const runId = Number(flags.run);
      if (!Number.isInteger(runId) || runId <= 0) throw new UsageError(`--run must be a run id, got "${flags.run}"`);
      const max = flags.max === undefined ? null : Number(flags.max);
      if (max !== null && (!Number.isInteger(max) || max <= 0)) throw new UsageError(`--max must be a positive integer, got "${flags.max}"`);
      const handle = await openDatabase();
      let bar: ProgressBar | null = null;
      try {
        const result = await evaluateRun(handle.db, {
          runId,
          dataset: flags.dataset,
          split: flags.split,
          maxSamples: max,
          engine: flags.engine,
          onProgress: (done, total) => {
            bar ??= createProgressBar(`evaluate run ${runId}`, total);
            bar.update(done, total);
          },
        });
        (bar as ProgressBar | null)?.stop();
        printResult(result, flags.json, formatResult);
      } finally {
        (bar as ProgressBar | null)?.stop();
        await handle.close();
      }
    });
}

function formatResult(r: EvaluateRunResult): string {
  const m = r.metrics;
  const lines = [
    `evaluation run ${r.evaluationRunId} of train run ${r.trainRunId} on ${r.dataset} (${r.split}), ${r.backend}, ${formatSeconds(r.wallSeconds)}`,
    `  n=${m.n} (abnormal ${m.positives})  ROC-AUC ${m.rocAuc.toFixed(4)} [${m.rocAucCiLow.toFixed(4)}, ${m.rocAucCiHigh.toFixed(4)}]` +
      `  PR-AUC ${m.prAuc.toFixed(4)} [${m.prAucCiLow.toFixed(4)}, ${m.prAucCiHigh.toFixed(4)}]`,
    '  lead group    label     occlusion mean (sd)   attention mean (sd)',
  ];
  for (const s of r.attributions) {
    const attention = s.attentionMean === null ? '-' : `${s.attentionMean.toFixed(3)} (${(s.attentionSd ?? NaN).toFixed(3)})`;
    lines.push(
      `  ${s.group.padEnd(12)}  ${(s.label ? 'abnormal' : 'normal').padEnd(8)}  ${s.occlusionMean.toFixed(4).padStart(8)} (${s.occlusionSd.toFixed(4)})     ${attention}`,
    );
  }
  return lines.join('\n');
}
