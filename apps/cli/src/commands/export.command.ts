import { Option, type Command } from 'commander';
import type { WriteRunOnnxResult } from '@leadwise/study';
import { printResult, UsageError } from '../cli-kit.ts';

interface ExportFlags {
  run: string;
  format: 'onnx';
  out: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('export')
    .description("Export a train run's best checkpoint as a portable model (ONNX opset 17, for onnxruntime in Node, Python, C++ or browsers)")
    .requiredOption('--run <id>', 'train run id (leadwise train prints it)')
    .addOption(new Option('--format <format>', 'model format').choices(['onnx']).default('onnx'))
    .requiredOption('--out <path>', 'file to write, e.g. model.onnx')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nInputs: image [batch, H, W, C] float32 NHWC, 0 = paper, 1 = ink; LeadGroupECG also lead_boxes [batch, L, 4]: the 12 panels in I..V6 order, then the lead II rhythm strip when L = 13 (the residual head, the default; the paper head and rhythmStrip: false take L = 12; leadwise.lead_boxes in the metadata says which).\n' +
        'Outputs: probability [batch, 1] = P(abnormal); LeadGroupECG also group_attention [batch, 5].\n' +
        'Sizes, normalisation, lead-box convention and the run id are in the model metadata (leadwise.* keys).\n\n' +
        'Example:\n  leadwise export --run 12 --format onnx --out model.onnx\n',
    )
    .action(async (flags: ExportFlags) => {
      const runId = Number(flags.run);
      if (!Number.isInteger(runId) || runId <= 0) throw new UsageError(`--run must be a run id, got "${flags.run}"`);
      // Loaded here so that other commands do not pay for tfjs and onnx-proto.
      const [{ openDatabase }, { writeRunOnnx }] = await Promise.all([import('@leadwise/db'), import('@leadwise/study')]);
      const handle = await openDatabase();
      try {
        printResult(await writeRunOnnx(handle.db, runId, flags.out), flags.json, formatResult);
      } finally {
        await handle.close();
      }
    });
}

function formatResult(r: WriteRunOnnxResult): string {
  return [
    `run ${r.runId} (${r.architecture}, backbone ${r.backbone}) -> ${r.path}`,
    `  ONNX opset ${r.opset}, ${(r.sizeBytes / 1e6).toFixed(2)} MB, sha256 ${r.sha256.slice(0, 16)}...`,
    `  inputs ${r.inputs.join(', ')}; outputs ${r.outputs.join(', ')}`,
  ].join('\n');
}
