/**
 * The native convolution kernels (forward, input gradient, filter gradient) at the layer shapes of a
 * ResNet18 step (width 0.25, 128x160x1, batch 32), on 1 and 2 threads in one process: median wall ms
 * per call over --reps calls after 3 warm-up calls, and the 2-thread speed-up per kernel.
 *
 *   npx tsx tools/bench/conv-scaling.ts [--reps 20] [--cold]
 */
import { loadNativeKernels } from '@leadwise/native-kernels';

const args = process.argv.slice(2);
const reps = Number(args[args.indexOf('--reps') + 1] || 20);
const status = loadNativeKernels();
if (!status.loaded) throw new Error(status.reason);
const native = status.kernels;

// [name, inH, inW, inC, outC, filter, stride, pad, calls per step]
const LAYERS: [string, number, number, number, number, number, number, number, number][] = [
  ['stem 7x7/2', 128, 160, 1, 16, 7, 2, 3, 1],
  ['s1 3x3 16', 32, 40, 16, 16, 3, 1, 1, 4],
  ['s2 3x3/2 16->32', 32, 40, 16, 32, 3, 2, 1, 1],
  ['s2 3x3 32', 16, 20, 32, 32, 3, 1, 1, 3],
  ['s2 1x1/2 16->32', 32, 40, 16, 32, 1, 2, 0, 1],
  ['s3 3x3/2 32->64', 16, 20, 32, 64, 3, 2, 1, 1],
  ['s3 3x3 64', 8, 10, 64, 64, 3, 1, 1, 3],
  ['s3 1x1/2 32->64', 16, 20, 32, 64, 1, 2, 0, 1],
  ['s4 3x3/2 64->128', 8, 10, 64, 128, 3, 2, 1, 1],
  ['s4 3x3 128', 4, 5, 128, 128, 3, 1, 1, 3],
  ['s4 1x1/2 64->128', 8, 10, 64, 128, 1, 2, 0, 1],
];
const batch = 32;
const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => (((i * 2654435761 + seed) >>> 0) % 1000) / 500 - 1);
function median(xs: number[]) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }
// --cold: a 64 MiB buffer is written before each timed call, so that its inputs come from memory as
// in a training step (whose activations far exceed the caches), not from a warm cache.
const cold = args.includes('--cold');
const flush = new Float32Array(16 << 20);
function time(f: () => void): number {
  for (let i = 0; i < 3; i++) f();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    if (cold) flush.fill(i);
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return median(t);
}
const totals = { 1: [0, 0, 0], 2: [0, 0, 0] } as Record<number, number[]>;
console.log('layer                 fwd 1t   fwd 2t   dIn 1t   dIn 2t   dW 1t    dW 2t   (ms per call)');
for (const [name, h, w, ci, co, f, st, pad, calls] of LAYERS) {
  const oh = Math.floor((h + 2 * pad - f) / st) + 1, ow = Math.floor((w + 2 * pad - f) / st) + 1;
  const shape = Int32Array.of(batch, h, w, ci, oh, ow, co, f, f, st, st, pad, pad);
  const x = fill(batch * h * w * ci, 1), filt = fill(f * f * ci * co, 2), y = new Float32Array(batch * oh * ow * co), dy = fill(y.length, 3);
  const dx = new Float32Array(x.length), dw = new Float32Array(filt.length);
  const row: number[] = [];
  const kernels = [
    () => native.conv2d(x, filt, null, y, shape, 0),
    () => native.conv2dBackpropInput(dy, filt, dx, shape),
    () => native.conv2dBackpropFilter(x, dy, dw, shape),
  ];
  for (const kernel of kernels) {
    for (const threads of [1, 2]) {
      native.setThreads(threads);
      row.push(time(kernel));
    }
  }
  [0, 2, 4].forEach((j, k) => { totals[1][k] += row[j] * calls; totals[2][k] += row[j + 1] * calls; });
  console.log(name.padEnd(20), row.map((v) => v.toFixed(3).padStart(8)).join(' '));
}
console.log('per step (x calls)  ', [0, 1, 2].map((k) => `${totals[1][k].toFixed(2).padStart(8)} ${totals[2][k].toFixed(2).padStart(8)}`).join(' '), ' speed-up', [0, 1, 2].map((k) => (totals[1][k] / totals[2][k]).toFixed(2)).join(' / '));
