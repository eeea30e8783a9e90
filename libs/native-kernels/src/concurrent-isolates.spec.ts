import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { loadNativeKernels } from './native-addon.ts';

const ADDON_PATH = fileURLToPath(new URL('../build/Release/leadwise_native.node', import.meta.url));
const [BATCH, M, N, K] = [8, 48, 40, 56];
const CALLS = 400;

// Small whole numbers: every partial sum is exact in float32, so any summation order gives the same
// product and a wrong element can only come from tasks crossing between callers.
function operands(): { a: Float32Array; b: Float32Array; expected: Float32Array } {
  const a = Float32Array.from({ length: BATCH * M * K }, (_, i) => ((i * 7) % 5) - 2);
  const b = Float32Array.from({ length: BATCH * K * N }, (_, i) => ((i * 3) % 7) - 3);
  const expected = new Float32Array(BATCH * M * N);
  for (let s = 0; s < BATCH; s += 1)
    for (let i = 0; i < M; i += 1)
      for (let j = 0; j < N; j += 1) {
        let sum = 0;
        for (let p = 0; p < K; p += 1) sum += a[(s * M + i) * K + p] * b[(s * K + p) * N + j];
        expected[(s * M + i) * N + j] = sum;
      }
  return { a, b, expected };
}

// The same loop in a worker thread (a second isolate loading the same addon, so the same thread pool).
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const kernels = require(workerData.addonPath);
const { a, b, expected, shape, calls, start, threads } = workerData;
kernels.setThreads(threads);
const gate = new Int32Array(start);
Atomics.add(gate, 0, 1);
Atomics.notify(gate, 0);
while (Atomics.load(gate, 0) < 2) Atomics.wait(gate, 0, 1);
let wrong = 0;
const c = new Float32Array(expected.length);
for (let call = 0; call < calls; call += 1) {
  c.fill(0);
  kernels.batchMatMul(a, b, c, shape);
  for (let i = 0; i < c.length; i += 1) if (c[i] !== expected[i]) { wrong += 1; break; }
}
parentPort.postMessage(wrong);
`;

describe('native kernels addon shared by two isolates', () => {
  const status = loadNativeKernels({});
  it.skipIf(!status.loaded)('gives exact products when the main thread and a worker call it at once, each asking for 2 threads', async () => {
    if (!status.loaded) return;
    const kernels = status.kernels;
    const previousThreads = kernels.threads();
    const { a, b, expected } = operands();
    const shape = Int32Array.of(BATCH, BATCH, BATCH, M, N, K, 0, 0);
    const start = new SharedArrayBuffer(4);
    const gate = new Int32Array(start);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { addonPath: ADDON_PATH, a, b, expected, shape, calls: CALLS, start, threads: 2 },
    });
    const workerWrong = new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    try {
      kernels.setThreads(2);
      // Both isolates start their loops together: the worker has set its threads and is waiting.
      Atomics.add(gate, 0, 1);
      Atomics.notify(gate, 0);
      while (Atomics.load(gate, 0) < 2) Atomics.wait(gate, 0, 1);
      let wrong = 0;
      const c = new Float32Array(expected.length);
      for (let call = 0; call < CALLS; call += 1) {
        c.fill(0);
        kernels.batchMatMul(a, b, c, shape);
        if (c.some((value, i) => value !== expected[i])) wrong += 1;
      }
      expect(wrong).toBe(0);
      expect(await workerWrong).toBe(0);
    } finally {
      await worker.terminate();
      kernels.setThreads(previousThreads);
    }
  }, 120_000);
});
