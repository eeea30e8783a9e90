/**
 * The addon's element-wise kernels at the shapes of a ResNet18 step (width 0.25, 128x160x1, batch 32),
 * one call at a time, on 1 and on 2 threads in turn within one process: median wall ms and process
 * CPU ms per call over --reps calls, after 3 warm-up calls. "per step" weighs each shape by how often
 * a ResNet18 step calls it.
 *
 *   npx tsx tools/bench/native-kernels.ts [--reps 30] [--threads 1,2] [--addon path/to/leadwise_native.node]
 *
 * --addon times another build (e.g. of an earlier commit) instead of this checkout's.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { loadNativeKernels, type NativeKernels } from '@leadwise/native-kernels';
import { benchOption } from './bench-args.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => benchOption(name, fallback, args);
const reps = Number(opt('reps', '30'));
const threadCounts = opt('threads', '1,2').split(',').map(Number);

function loadKernels(addonPath: string | null): NativeKernels {
  if (addonPath) return createRequire(import.meta.url)(resolve(addonPath)) as NativeKernels;
  const status = loadNativeKernels();
  if (!status.loaded) throw new Error(`native kernels not loaded: ${status.reason}`);
  return status.kernels;
}
const native = loadKernels(args.includes('--addon') ? opt('addon', '') : null);

// [rows, channels, calls per step]: the stem (before max-pooling), then stages 1-4.
const BN_SHAPES: readonly [number, number, number][] = [
  [32 * 64 * 80, 16, 1],
  [32 * 32 * 40, 16, 4],
  [32 * 16 * 20, 32, 5],
  [32 * 8 * 10, 64, 5],
  [32 * 4 * 5, 128, 5],
];

function filled(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function time(run: () => void): Timing {
  for (let i = 0; i < 3; i++) run();
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run();
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  const median = (v: number[]): number => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return { wallMs: median(walls), cpuMs: median(cpus) };
}

type Case = { name: string; perStep: number; run: (k: NativeKernels) => void };

const cases: Case[] = [];
for (const [rows, channels, perStep] of BN_SHAPES) {
  const size = rows * channels;
  const x = filled(size, 1);
  const dy = filled(size, 2);
  const y = new Float32Array(size);
  const dx = new Float32Array(size);
  const gamma = filled(channels, 3).map((v) => 1 + v / 4);
  const beta = filled(channels, 4);
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  const dgamma = new Float32Array(channels);
  const dbeta = new Float32Array(channels);
  const label = `${rows}x${channels}`;
  cases.push({
    name: `batch norm forward ${label}`,
    perStep,
    run: (k) => k.batchNormTrainForward(x, gamma, beta, y, mean, variance, channels, 1e-3),
  });
  cases.push({
    name: `batch norm backward ${label}`,
    perStep,
    run: (k) => k.batchNormTrainBackward(x, dy, gamma, mean, variance, null, null, dx, dgamma, dbeta, channels, 1e-3),
  });
  cases.push({ name: `ReLU gradient ${label}`, perStep, run: (k) => k.reluGrad(dy, x, dx) });
}
{
  // ResNet18's 62 variables hold 700,657 values; the largest are the stage-4 3x3 filters.
  const sizes = [3 * 3 * 128 * 128, 3 * 3 * 64 * 128, 3 * 3 * 64 * 64, 3 * 3 * 32 * 32, 3 * 3 * 16 * 16, 128];
  for (const size of sizes) {
    const value = filled(size, 5);
    const m = filled(size, 6);
    const v = filled(size, 7).map(Math.abs);
    const g = filled(size, 8);
    const out = [new Float32Array(size), new Float32Array(size), new Float32Array(size)] as const;
    const scalars = Float32Array.of(0.9, 0.1, 0.999, 0.001, 0.1, 0.001, 1e-7, -1e-3);
    cases.push({ name: `Adam ${size}`, perStep: 0, run: (k) => k.adamUpdate(value, m, v, g, out[0], out[1], out[2], scalars) });
  }
}
{
  const [rows, channels] = [32 * 64 * 80, 16];
  const x = filled(rows * channels, 9);
  const dy = filled(32 * 32 * 40 * channels, 10);
  const dx = new Float32Array(rows * channels);
  const shape = Int32Array.of(32, 64, 80, channels, 32, 40, 3, 3, 2, 2, 0, 0);
  cases.push({ name: 'max-pool gradient 3x3/2 64x80x16', perStep: 1, run: (k) => k.maxPoolGrad(x, dy, dx, shape) });
}

console.log(`native kernels (${native.isa()}), median of ${reps} calls; wall ms / CPU ms per call`);
console.log(`${'kernel'.padEnd(36)} ${threadCounts.map((t) => `${t} thread(s)`.padStart(18)).join('')}`);
const totals = new Map<number, Timing>(threadCounts.map((t) => [t, { wallMs: 0, cpuMs: 0 }]));
for (const c of cases) {
  const cells: string[] = [];
  for (const threads of threadCounts) {
    native.setThreads(threads);
    const t = time(() => c.run(native));
    const total = totals.get(threads)!;
    total.wallMs += t.wallMs * c.perStep;
    total.cpuMs += t.cpuMs * c.perStep;
    cells.push(`${t.wallMs.toFixed(3)} / ${t.cpuMs.toFixed(3)}`.padStart(18));
  }
  console.log(`${c.name.padEnd(36)} ${cells.join('')}`);
}
console.log(
  `${'BN fwd+bwd, ReLU grad, pool grad/step'.padEnd(36)} ${threadCounts
    .map((t) => `${totals.get(t)!.wallMs.toFixed(2)} / ${totals.get(t)!.cpuMs.toFixed(2)}`.padStart(18))
    .join('')}`,
);
