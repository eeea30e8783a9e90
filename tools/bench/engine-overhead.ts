/**
 * The engine-overhead cuts of issue 14 (saved tensors cloned directly, saved-tensors.ts; batch
 * norm's moving averages in one kernel, batch-norm-training.ts) switched off and on in one
 * process, alternating blocks of training steps, so that both see the same machine load: median
 * CPU and wall ms per step of each, and the engine kernel calls and tape nodes of one step.
 *
 *   LEADWISE_THREADS=1 npx tsx tools/bench/engine-overhead.ts [--model resnet18] [--batch 32] [--rounds 5] [--block 4]
 */
import * as tf from '@tensorflow/tfjs';
import {
  MOVING_AVERAGE,
  patchEngineClone,
  selectBackend,
  unpatchEngineClone,
  type Architecture,
} from '@leadwise/models';
import { syntheticTraining } from './synthetic-training.ts';
import { benchOption } from './bench-args.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => benchOption(name, fallback, args);
const architecture = opt('model', 'resnet18') as Architecture;
const batch = Number(opt('batch', '32'));
const rounds = Number(opt('rounds', '5'));
const block = Number(opt('block', '4'));
const height = 128;
const width = 160;

await selectBackend({});
const movingAverage = tf.getKernel(MOVING_AVERAGE, 'wasm');
if (!movingAverage) throw new Error('engine-overhead needs the wasm backend with the native kernels (wasm+native)');
const { step } = syntheticTraining(architecture, { inputHeight: height, inputWidth: width, widthMultiplier: 0.25, batchSize: batch });

const settings = {
  before: (): void => {
    unpatchEngineClone();
    if (tf.getKernel(MOVING_AVERAGE, 'wasm')) tf.unregisterKernel(MOVING_AVERAGE, 'wasm');
  },
  after: (): void => {
    patchEngineClone();
    if (!tf.getKernel(MOVING_AVERAGE, 'wasm')) tf.registerKernel(movingAverage);
  },
};
type Setting = keyof typeof settings;

const engine = tf.engine() as unknown as Record<'runKernelFunc' | 'addTapeNode', (...a: unknown[]) => unknown>;
const counts = { runKernelFunc: 0, addTapeNode: 0 };
for (const key of ['runKernelFunc', 'addTapeNode'] as const) {
  const original = engine[key];
  engine[key] = function counted(this: unknown, ...a: unknown[]) {
    counts[key]++;
    return original.apply(this, a);
  };
}

const perStep = {} as Record<Setting, { cpuMs: number[]; wallMs: number[]; engineCalls: number; tapeNodes: number }>;
for (const setting of Object.keys(settings) as Setting[]) {
  settings[setting]();
  step(); // warm-up (Adam's slots, the layers' first calls)
  counts.runKernelFunc = 0;
  counts.addTapeNode = 0;
  step();
  perStep[setting] = { cpuMs: [], wallMs: [], engineCalls: counts.runKernelFunc, tapeNodes: counts.addTapeNode };
}
for (let round = 0; round < rounds; round++) {
  for (const setting of Object.keys(settings) as Setting[]) {
    settings[setting]();
    for (let i = 0; i < block; i++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      step();
      perStep[setting].wallMs.push(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      perStep[setting].cpuMs.push((cpu.user + cpu.system) / 1000);
    }
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const setting of Object.keys(settings) as Setting[]) {
  const s = perStep[setting];
  console.log(
    JSON.stringify({
      architecture,
      batch,
      threads: process.env['LEADWISE_THREADS'] ?? 'default',
      setting,
      cpuMsPerStep: +median(s.cpuMs).toFixed(1),
      wallMsPerStep: +median(s.wallMs).toFixed(1),
      steps: s.cpuMs.length,
      engineCalls: s.engineCalls,
      tapeNodes: s.tapeNodes,
    }),
  );
}
