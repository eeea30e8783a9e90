/**
 * Where one training step's CPU time goes, by kernel name: every kernel registered for the selected
 * backend is wrapped to add its process CPU time (all threads: V8's GC helpers included), wall time
 * and call count, over --steps steps after one warm-up. "outside kernels" is the rest of the step (tape, engine bookkeeping, GC, JS).
 *
 * "engine calls" counts every kernel call through tfjs's engine (nested ones too), "tape nodes"
 * the nodes recorded for the backward pass. LeadGroupECG gets the standard 3x4 layout's lead boxes.
 *
 *   npx tsx tools/bench/profile-step.ts [--model resnet18] [--input 128x160] [--width 0.25] [--batch 32] [--steps 3]
 */
import * as tf from '@tensorflow/tfjs';
import {
  createModel,
  selectLeadBoxes,
  parseInputSize,
  parseModelConfig,
  selectBackend,
  backendEngineName,
  type Architecture,
  weightedBinaryCrossEntropy,
} from '@leadwise/models';
import { standardLayoutBoxes } from './standard-boxes.ts';
import { benchOption } from './bench-args.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => benchOption(name, fallback, args);
const architecture = opt('model', 'resnet18') as Architecture;
const size = parseInputSize(opt('input', '128x160'));
const width = Number(opt('width', '0.25'));
const batch = Number(opt('batch', '32'));
const steps = Number(opt('steps', '3'));

const engineName = backendEngineName(await selectBackend({}));
const backendName = tf.getBackend();
const totals = new Map<string, { ms: number; wallMs: number; calls: number }>();
let depth = 0;
for (const config of tf.getKernelsForBackend(backendName)) {
  const inner = config.kernelFunc;
  tf.unregisterKernel(config.kernelName, backendName);
  tf.registerKernel({
    ...config,
    kernelFunc: (a) => {
      if (depth > 0) return inner(a);
      depth++;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      try {
        return inner(a);
      } finally {
        depth--;
        const c = process.cpuUsage(c0);
        const t = totals.get(config.kernelName) ?? { ms: 0, wallMs: 0, calls: 0 };
        t.ms += (c.user + c.system) / 1000;
        t.wallMs += performance.now() - t0;
        t.calls++;
        totals.set(config.kernelName, t);
      }
    },
  });
}

const config = parseModelConfig({ architecture, ...size, channels: 1, widthMultiplier: width, seed: 1 });
const network = createModel(config);
const images = new Float32Array(batch * size.inputHeight * size.inputWidth).map((_, i) => ((i * 2654435761) % 1000) / 1000);
const labels = new Float32Array(batch).map((_, i) => i % 2);
const optimizer = tf.train.adam(1e-3);
const trainable = network.model.trainableWeights.map((w) => w.read() as tf.Variable);
const boxes = standardLayoutBoxes(batch);
const modelBoxes = network.usesLeadBoxes ? selectLeadBoxes(boxes, batch, network.leadBoxCount) : boxes;
const engine = tf.engine() as unknown as Record<'runKernelFunc' | 'addTapeNode', (...a: unknown[]) => unknown>;
const engineCounts = { runKernelFunc: 0, addTapeNode: 0 };
for (const key of ['runKernelFunc', 'addTapeNode'] as const) {
  const original = engine[key];
  engine[key] = function counted(this: unknown, ...a: unknown[]) {
    engineCounts[key]++;
    return original.apply(this, a);
  };
}
const step = (): void => {
  const cost = optimizer.minimize(
    () =>
      tf.tidy(() => {
        const image = tf.tensor4d(images, [batch, size.inputHeight, size.inputWidth, 1]);
        const inputs = network.usesLeadBoxes ? [image, tf.tensor3d(modelBoxes, [batch, network.leadBoxCount, 4])] : image;
        const out = network.model.apply(inputs, { training: true }) as tf.Tensor | tf.Tensor[];
        const y = tf.tensor2d(labels, [batch, 1]);
        return weightedBinaryCrossEntropy(Array.isArray(out) ? out[0] : out, y, tf.onesLike(y));
      }),
    true,
    trainable,
  );
  cost!.dataSync();
  cost!.dispose();
};
step();
totals.clear();
engineCounts.runKernelFunc = 0;
engineCounts.addTapeNode = 0;
const tensors0 = tf.memory().numTensors;
let stepMs = 0;
for (let i = 0; i < steps; i++) {
  const c0 = process.cpuUsage();
  step();
  const c = process.cpuUsage(c0);
  stepMs += (c.user + c.system) / 1000;
}
const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
const inKernels = rows.reduce((s, [, t]) => s + t.ms, 0);
console.log(`${architecture} on ${engineName}: ${(stepMs / steps).toFixed(1)} CPU ms/step, numTensors ${tensors0} -> ${tf.memory().numTensors}`);
console.log(`engine calls ${engineCounts.runKernelFunc / steps}, tape nodes ${engineCounts.addTapeNode / steps} per step`);
console.log(`${'kernel'.padEnd(30)} ${'CPU ms'.padStart(7)} ${'wall ms'.padStart(8)}  calls`);
for (const [name, t] of rows) {
  console.log(`${name.padEnd(30)} ${(t.ms / steps).toFixed(1).padStart(7)} ${(t.wallMs / steps).toFixed(1).padStart(8)}  ${String(t.calls / steps).padStart(5)}`);
}
console.log(`${'outside kernels'.padEnd(30)} ${((stepMs - inKernels) / steps).toFixed(1).padStart(7)}`);
{
  const wasmBackend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  const heap = (): number => wasmBackend.wasm?.HEAPU8?.buffer.byteLength ?? 0;
  const h0 = heap();
  step();
  console.log(`wasm heap ${(h0 / 2 ** 20).toFixed(0)} -> ${(heap() / 2 ** 20).toFixed(0)} MiB over one more step`);
}
