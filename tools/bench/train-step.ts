/**
 * Micro-benchmark of one training step (issue 9): conv 3x3 16 -> maxpool 2 -> conv 3x3 32 ->
 * maxpool 2 -> conv 3x3 64 stride 2 -> global average pool -> dense 1, 'same' padding, ReLU, Adam,
 * binary cross-entropy on logits; input 64x256x1, batch 32. Prints the median ms per training step
 * and per forward batch over --steps runs after --warmup runs, on the selected backend.
 *
 *   npx tsx tools/bench/train-step.ts [--backend wasm|cpu|tfjs-node|tfjs-node-gpu]
 *       [--kernels leadwise|filter-only] [--steps 10] [--warmup 2] [--profile] [--json]
 *
 * --kernels filter-only measures stock tfjs-wasm with only the missing filter gradient added.
 * --profile adds a per-kernel breakdown of one training step (tf.profile wall time and CPU time).
 * Each timed step is also reported on stderr as it finishes.
 * tools/bench/train-step.py is the same step in PyTorch, for comparison.
 */
import * as tf from '@tensorflow/tfjs';
import {
  registerWasmTrainingKernels,
  restoreStockWasmKernels,
  selectBackend,
  type BackendName,
} from '@leadwise/models';

const BATCH = 32;
const INPUT_SHAPE: [number, number, number] = [64, 256, 1];

interface Options {
  backend?: BackendName;
  kernels: 'leadwise' | 'filter-only';
  steps: number;
  warmup: number;
  profile: boolean;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { kernels: 'leadwise', steps: 10, warmup: 2, profile: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--backend') options.backend = value() as BackendName;
    else if (arg === '--kernels') {
      const k = value();
      if (k !== 'leadwise' && k !== 'filter-only') throw new Error(`--kernels must be leadwise or filter-only, got ${k}`);
      options.kernels = k;
    } else if (arg === '--steps') options.steps = Number.parseInt(value(), 10);
    else if (arg === '--warmup') options.warmup = Number.parseInt(value(), 10);
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--help') {
      console.log('usage: tsx tools/bench/train-step.ts [--backend NAME] [--kernels leadwise|filter-only] [--steps N] [--warmup N] [--profile] [--json]');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (!(options.steps > 0) || !(options.warmup >= 0)) throw new Error('--steps must be > 0 and --warmup >= 0');
  return options;
}

function buildMicroNet(): tf.LayersModel {
  let seed = 1;
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: seed++ });
  const conv = (filters: number, strides: number, inputShape?: [number, number, number]): tf.layers.Layer =>
    tf.layers.conv2d({
      ...(inputShape ? { inputShape } : {}),
      filters,
      kernelSize: 3,
      strides,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(),
    });
  return tf.sequential({
    layers: [
      conv(16, 1, INPUT_SHAPE),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      conv(32, 1),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      conv(64, 2),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 1, kernelInitializer: init() }),
    ],
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const backend = await selectBackend({
    ...(options.backend ? { prefer: options.backend } : {}),
    wasmTrainingKernels: false,
  });
  if (backend === 'wasm') {
    restoreStockWasmKernels();
    registerWasmTrainingKernels(options.kernels === 'filter-only' ? { only: ['Conv2DBackpropFilter'] } : {});
  }

  const model = buildMicroNet();
  const optimizer = tf.train.adam(1e-3);
  const xs = tf.randomUniform([BATCH, ...INPUT_SHAPE], 0, 1, 'float32', 7);
  const ys = tf.tensor2d(Array.from({ length: BATCH }, (_, i) => i % 2), [BATCH, 1]);

  const trainStep = (): number => {
    const cost = optimizer.minimize(
      () => tf.losses.sigmoidCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor),
      true,
    );
    const loss = cost!.dataSync()[0];
    cost!.dispose();
    return loss;
  };
  const forward = (): void => {
    tf.tidy(() => (model.predict(xs) as tf.Tensor).dataSync());
  };
  // Wall clock and this process's CPU time: the machine is shared, and CPU time is what one
  // single-threaded wasm run actually costs when other work competes for the cores.
  const time = (f: () => unknown, cpu: number[]): number => {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    f();
    const wall = performance.now() - start;
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
    return wall;
  };

  for (let i = 0; i < options.warmup; i++) {
    trainStep();
    forward();
  }
  const tensorsBefore = tf.memory().numTensors;
  const stepMs: number[] = [];
  const forwardMs: number[] = [];
  const stepCpuMs: number[] = [];
  const forwardCpuMs: number[] = [];
  let loss = Number.NaN;
  for (let i = 0; i < options.steps; i++) {
    stepMs.push(time(() => (loss = trainStep()), stepCpuMs));
    forwardMs.push(time(forward, forwardCpuMs));
    // Progress on stderr, so that a run cut short (the cpu backend takes minutes a step) still tells.
    process.stderr.write(
      `step ${i + 1}: ${stepMs[i].toFixed(0)} ms (${stepCpuMs[i].toFixed(0)} ms CPU), ` +
        `forward ${forwardMs[i].toFixed(0)} ms (${forwardCpuMs[i].toFixed(0)} ms CPU)\n`,
    );
  }
  const tensorLeak = tf.memory().numTensors - tensorsBefore;

  let kernels: { name: string; ms: number; cpuMs: number; calls: number }[] | undefined;
  if (options.profile) kernels = await profileStep(trainStep);

  const result = {
    backend,
    kernels: backend === 'wasm' ? options.kernels : 'n/a',
    batch: BATCH,
    input: INPUT_SHAPE.join('x'),
    steps: options.steps,
    warmup: options.warmup,
    medianStepMs: Math.round(median(stepMs) * 10) / 10,
    medianForwardMs: Math.round(median(forwardMs) * 10) / 10,
    medianStepCpuMs: Math.round(median(stepCpuMs) * 10) / 10,
    medianForwardCpuMs: Math.round(median(forwardCpuMs) * 10) / 10,
    stepMs: stepMs.map((v) => Math.round(v)),
    forwardMs: forwardMs.map((v) => Math.round(v)),
    finalLoss: loss,
    tensorLeak,
    ...(kernels ? { profile: kernels } : {}),
  };
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(
    `train-step ${backend}${backend === 'wasm' ? ` (${options.kernels})` : ''}: ` +
      `${result.medianStepMs} ms/step (${result.medianStepCpuMs} ms CPU), ` +
      `${result.medianForwardMs} ms/forward batch (${result.medianForwardCpuMs} ms CPU) ` +
      `(median of ${options.steps} after ${options.warmup} warm-up; steps ${result.stepMs.join(' ')}; tensor leak ${tensorLeak})`,
  );
  if (kernels) {
    const total = kernels.reduce((a, k) => a + k.ms, 0);
    const totalCpu = kernels.reduce((a, k) => a + k.cpuMs, 0);
    console.log(`tf.profile of one step: ${total.toFixed(0)} ms wall, ${totalCpu.toFixed(0)} ms CPU in kernels`);
    for (const k of kernels.slice(0, 16)) {
      console.log(`  ${k.name.padEnd(24)} ${k.ms.toFixed(1).padStart(8)} ms ${k.cpuMs.toFixed(1).padStart(8)} ms CPU  x${k.calls}`);
    }
  }
}

/**
 * Per-kernel time of one training step: tf.profile's wall time per kernel, plus the CPU time of
 * each top-level kernel call (measured by wrapping the registered kernel functions; calls that a
 * kernel makes to other kernels below the engine are counted in their caller).
 */
async function profileStep(step: () => unknown): Promise<{ name: string; ms: number; cpuMs: number; calls: number }[]> {
  const backendName = tf.getBackend();
  const cpuByName = new Map<string, number>();
  let depth = 0;
  const wrapped = tf.getKernelsForBackend(backendName).map((config) => {
    const original = config.kernelFunc;
    const wrapper: tf.KernelFunc = (args) => {
      const start = process.cpuUsage();
      depth++;
      try {
        return original(args);
      } finally {
        depth--;
        const used = process.cpuUsage(start);
        const ms = (used.user + used.system) / 1000;
        if (depth === 0) cpuByName.set(config.kernelName, (cpuByName.get(config.kernelName) ?? 0) + ms);
      }
    };
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({ ...config, kernelFunc: wrapper });
    return { config, wrapper };
  });
  const info = await tf.profile(() => {
    step();
  });
  for (const { config } of wrapped) {
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel(config);
  }
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += Number(k.kernelTimeMs);
    entry.calls += 1;
    byName.set(k.name, entry);
  }
  return [...byName.entries()]
    .map(([name, v]) => ({ name, ms: Math.round(v.ms * 10) / 10, cpuMs: Math.round((cpuByName.get(name) ?? 0) * 10) / 10, calls: v.calls }))
    .sort((a, b) => b.cpuMs - a.cpuMs);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
