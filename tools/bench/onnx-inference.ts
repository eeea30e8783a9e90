/**
 * Inference throughput (issue 7): images/s at batch 32 at the standard-profile input size
 * (PROFILE_SETTINGS.standard: 128x160x1, width 0.25) for each architecture, onnxruntime-node
 * (exported with exportOnnx) against the tfjs backend selectBackend picks (wasm here). Random
 * weights and inputs: throughput does not depend on their values. Prints the median over --runs
 * timed batches after --warmup batches, per architecture and engine.
 *
 *   npx tsx tools/bench/onnx-inference.ts [--arch leadgroup,resnet18,densenet121,vgg16]
 *       [--threads 2] [--runs 5] [--warmup 2] [--backend wasm|cpu|...] [--json]
 *
 * --threads sets onnxruntime's intra-op threads (tfjs-wasm here is single-threaded: see
 * describeWasm in the output).
 */
import * as tf from '@tensorflow/tfjs';
import {
  ARCHITECTURES,
  createModel,
  describeWasm,
  exportOnnx,
  selectLeadBoxes,
  OnnxEngine,
  parseModelConfig,
  PROFILE_SETTINGS,
  selectBackend,
  type Architecture,
  type BackendName,
} from '@leadwise/models';
import { standardLayoutLeadBoxes } from '@leadwise/models/testing';

const BATCH = 32;

interface Options {
  architectures: Architecture[];
  threads: number;
  runs: number;
  warmup: number;
  backend?: BackendName;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { architectures: [...ARCHITECTURES], threads: 2, runs: 5, warmup: 2, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--arch') {
      options.architectures = value().split(',') as Architecture[];
      for (const a of options.architectures) if (!ARCHITECTURES.includes(a)) throw new Error(`--arch: unknown architecture ${a}`);
    } else if (arg === '--threads') options.threads = Number.parseInt(value(), 10);
    else if (arg === '--runs') options.runs = Number.parseInt(value(), 10);
    else if (arg === '--warmup') options.warmup = Number.parseInt(value(), 10);
    else if (arg === '--backend') options.backend = value() as BackendName;
    else if (arg === '--json') options.json = true;
    else if (arg === '--help') {
      console.log('usage: tsx tools/bench/onnx-inference.ts [--arch LIST] [--threads N] [--runs N] [--warmup N] [--backend NAME] [--json]');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (!(options.runs > 0) || !(options.warmup >= 0) || !(options.threads > 0)) throw new Error('--runs and --threads must be > 0, --warmup >= 0');
  return options;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timeRuns(runs: number, warmup: number, once: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await once();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await once();
    ms.push(performance.now() - start);
  }
  return ms;
}

interface Row {
  architecture: Architecture;
  engine: string;
  msPerBatch: number;
  imagesPerS: number;
  runsMs: number[];
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const backend = await selectBackend({ prefer: options.backend });
  const tfjsLabel = backend === 'wasm' ? `tfjs-wasm (${describeWasm()})` : `tfjs-${backend}`;
  const { inputHeight, inputWidth, widthMultiplier } = PROFILE_SETTINGS.standard;
  const images = Float32Array.from({ length: BATCH * inputHeight * inputWidth }, (_, i) => ((i * 2654435761) % 1000) / 4000);
  const leadBoxes = Float32Array.from(Array.from({ length: BATCH }, () => standardLayoutLeadBoxes().flat()).flat());
  const rows: Row[] = [];
  for (const architecture of options.architectures) {
    const network = createModel(parseModelConfig({ architecture, inputHeight, inputWidth, widthMultiplier, seed: 1 }));
    const engine = await OnnxEngine.load(exportOnnx(network), { intraOpThreads: options.threads });
    const onnxMs = await timeRuns(options.runs, options.warmup, async () => {
      await engine.predictBatch({ size: BATCH, images, leadBoxes });
    });
    await engine.release();
    const tfjsMs = await timeRuns(options.runs, options.warmup, async () => {
      const outputs = tf.tidy(() => {
        const inputs: tf.Tensor[] = [tf.tensor4d(images, [BATCH, inputHeight, inputWidth, 1])];
        if (network.usesLeadBoxes) inputs.push(tf.tensor3d(selectLeadBoxes(leadBoxes, BATCH, network.leadBoxCount), [BATCH, network.leadBoxCount, 4]));
        const result = network.model.predict(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor | tf.Tensor[];
        return Array.isArray(result) ? result : [result];
      });
      await outputs[0].data();
      tf.dispose(outputs);
    });
    network.model.dispose();
    for (const [engineLabel, ms] of [
      [`onnxruntime-node (${options.threads} threads)`, onnxMs],
      [tfjsLabel, tfjsMs],
    ] as const) {
      const msPerBatch = median(ms);
      rows.push({ architecture, engine: engineLabel, msPerBatch, imagesPerS: (BATCH * 1000) / msPerBatch, runsMs: ms.map((v) => Math.round(v)) });
    }
    const [onnxRow, tfjsRow] = rows.slice(-2);
    process.stderr.write(
      `${architecture}: onnx ${onnxRow.imagesPerS.toFixed(1)} img/s, ${tfjsLabel} ${tfjsRow.imagesPerS.toFixed(1)} img/s, speed-up ${(onnxRow.imagesPerS / tfjsRow.imagesPerS).toFixed(2)}x\n`,
    );
  }
  const result = { batch: BATCH, input: `${inputHeight}x${inputWidth}x1`, widthMultiplier, rows };
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(`batch ${BATCH}, input ${result.input}, width ${widthMultiplier}; median of ${options.runs} batches after ${options.warmup} warm-up`);
  console.log('architecture  engine                                     ms/batch   images/s');
  for (const r of rows) console.log(`${r.architecture.padEnd(12)}  ${r.engine.padEnd(41)}  ${r.msPerBatch.toFixed(0).padStart(8)}  ${r.imagesPerS.toFixed(1).padStart(9)}`);
}

await main();
