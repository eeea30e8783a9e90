import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { FilePrediction } from '@leadwise/study';
import { createProgressBar, printResult, type ProgressBar, UsageError } from '../cli-kit.ts';

interface PredictFlags {
  model?: string;
  run?: string;
  threads: string;
  batch: string;
  json?: boolean;
}

interface PredictResult {
  model: string;
  architecture: string;
  trainingRunId: number | null;
  predictions: FilePrediction[];
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('P(abnormal) (and LeadGroupECG group weights) for WFDB records or PNG pages, with an ONNX model in onnxruntime-node')
    .argument('<inputs...>', 'WFDB records (.hea or path without extension) or PNG pages with their .json sidecars')
    .option('--model <file>', 'an ONNX model written by leadwise export')
    .option('--run <id>', 'a train run: its checkpoint is exported to ONNX in memory')
    .option('--threads <n>', 'onnxruntime intra-op threads', '2')
    .option('--batch <n>', 'images per forward pass', '32')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nRecords are rendered exactly as for training (model input size, grid style of the run); PNG pages are\n' +
        "cropped to their sidecar's content area and resampled to the model's input size.\n\n" +
        'Examples:\n  leadwise predict --model model.onnx data/records100/00000/00001_lr.hea\n  leadwise predict --run 12 --json page.png\n',
    )
    .action(async (inputs: string[], flags: PredictFlags) => {
      if ((flags.model === undefined) === (flags.run === undefined)) throw new UsageError('give exactly one of --model <file> and --run <id>');
      const threads = Number(flags.threads);
      if (!Number.isInteger(threads) || threads <= 0) throw new UsageError(`--threads must be a positive integer, got "${flags.threads}"`);
      const batchSize = Number(flags.batch);
      if (!Number.isInteger(batchSize) || batchSize <= 0) throw new UsageError(`--batch must be a positive integer, got "${flags.batch}"`);

      // Loaded here so that other commands do not pay for tfjs and onnxruntime.
      const [{ openDatabase }, { OnnxEngine }, { exportRunToOnnx, predictFiles }] = await Promise.all([
        import('@leadwise/db'),
        import('@leadwise/models'),
        import('@leadwise/study'),
      ]);
      let bytes: Uint8Array;
      let modelLabel: string;
      if (flags.run !== undefined) {
        const runId = Number(flags.run);
        if (!Number.isInteger(runId) || runId <= 0) throw new UsageError(`--run must be a run id, got "${flags.run}"`);
        const handle = await openDatabase();
        try {
          bytes = (await exportRunToOnnx(handle.db, runId)).bytes;
        } finally {
          await handle.close();
        }
        modelLabel = `run ${runId}`;
      } else {
        const modelPath = flags.model as string;
        bytes = await readFile(modelPath).catch((error: Error) => {
          throw new UsageError(`cannot read --model ${modelPath}: ${error.message}`);
        });
        modelLabel = modelPath;
      }
      const engine = await OnnxEngine.load(bytes, { intraOpThreads: threads });
      let bar: ProgressBar | null = null;
      try {
        const predictions = await predictFiles(engine, inputs, {
          batchSize,
          onProgress: (done, total) => {
            if (total <= batchSize) return;
            bar ??= createProgressBar('predict', total);
            bar.update(done, total);
          },
        });
        (bar as ProgressBar | null)?.stop();
        const result: PredictResult = {
          model: modelLabel,
          architecture: engine.info.modelConfig.architecture,
          trainingRunId: engine.info.trainingRunId,
          predictions,
        };
        printResult(result, flags.json, formatResult);
      } finally {
        (bar as ProgressBar | null)?.stop();
        await engine.release();
      }
    });
}

function formatResult(r: PredictResult): string {
  const lines = [`${r.model} (${r.architecture}${r.trainingRunId === null ? '' : `, train run ${r.trainingRunId}`}): P(abnormal)`];
  for (const p of r.predictions) {
    const groups = p.groupWeights
      ? '  groups ' + Object.entries(p.groupWeights).map(([group, weight]) => `${group} ${weight.toFixed(3)}`).join(', ')
      : '';
    lines.push(`  ${p.probability.toFixed(4)}  ${p.path}${groups}`);
  }
  return lines.join('\n');
}
