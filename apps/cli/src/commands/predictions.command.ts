import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from '../cli-kit.ts';

interface PredictionsFlags {
  run: string;
  csv?: boolean;
  json?: boolean;
  out?: string;
}

export function register(program: Command): void {
  program
    .command('predictions')
    .description('Write the per-record predictions of an evaluation or LLM run as CSV (default) or JSON, for scikit-learn, pROC or a spreadsheet')
    .requiredOption('--run <id>', 'evaluation or llm run id (leadwise evaluate prints it)')
    .option('--csv', 'CSV: record_id, external_id, dataset, split, label, score, predicted_label, threshold, weight_<group>, occlusion_<group> (default)')
    .option('--json', 'JSON: the run, its threshold and one object per record')
    .option('--out <file>', 'write to this file instead of stdout')
    .addHelpText(
      'after',
      '\npredicted_label is score >= threshold, the run\'s operating point (Youden\'s J on the validation\n' +
        'evaluation of its train run, else 0.5). label is the true label (1 abnormal, 0 normal).\n\n' +
        'Examples:\n  leadwise predictions --run 12 --out run-12.csv\n  leadwise stats run-12.csv\n',
    )
    .action(async (flags: PredictionsFlags) => {
      const runId = Number(flags.run);
      if (!Number.isInteger(runId) || runId <= 0) throw new UsageError(`--run must be a run id, got "${flags.run}"`);
      if (flags.csv && flags.json) throw new UsageError('give one of --csv and --json');
      const [{ openDatabase }, { loadRunPredictions, predictionsToCsv }] = await Promise.all([import('@leadwise/db'), import('@leadwise/study')]);
      const handle = await openDatabase();
      try {
        const predictions = await loadRunPredictions(handle.db, runId);
        const text = flags.json ? `${JSON.stringify(predictions, null, 2)}\n` : predictionsToCsv(predictions);
        if (flags.out) {
          await writeFile(flags.out, text);
          process.stderr.write(`wrote ${predictions.rows.length} predictions of run ${runId} (threshold ${predictions.threshold.toFixed(4)}) to ${flags.out}\n`);
        } else {
          process.stdout.write(text);
        }
      } finally {
        await handle.close();
      }
    });
}
