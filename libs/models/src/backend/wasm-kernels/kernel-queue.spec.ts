import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { loadNativeKernels } from '@leadwise/native-kernels';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../../architectures/model-factory.ts';
import { parseModelConfig } from '../../config.ts';
import { initWasmBackend } from '../select-backend.ts';
import { drainKernelQueue, kernelQueueActive, kernelQueueWaits, parseKernelQueue, parseQueueAhead, QUEUE_AHEAD_ENV_VAR } from './kernel-queue.ts';
import { registerWasmTrainingKernels } from './register.ts';

/**
 * The kernel queue (kernel-queue.ts) against direct kernel calls: the same weights bit for bit after
 * Adam steps of real networks, nothing leaked, and the three hazards it guards held at a known
 * point (a long kernel still queued): a read of a result before its kernel has run, an input freed
 * and its memory handed out again before the kernel that reads it has run, and the wasm heap
 * growing under a queued kernel.
 */
const native = loadNativeKernels();

it('reads LEADWISE_KERNEL_QUEUE: 1, 0, or the default', () => {
  expect(parseKernelQueue(undefined)).toBeNull();
  expect(parseKernelQueue(' ')).toBeNull();
  expect(parseKernelQueue('1')).toBe(true);
  expect(parseKernelQueue(' 0 ')).toBe(false);
  expect(() => parseKernelQueue('yes')).toThrow(/LEADWISE_KERNEL_QUEUE="yes" must be 1 \(queue the native kernels\) or 0/);
});

it('reads LEADWISE_QUEUE_AHEAD: a whole number of kernels, 0 for no limit', () => {
  expect(parseQueueAhead(undefined)).toBe(64);
  expect(parseQueueAhead('')).toBe(64);
  expect(parseQueueAhead('8')).toBe(8);
  expect(parseQueueAhead('0')).toBe(0);
  expect(() => parseQueueAhead('-1')).toThrow(/LEADWISE_QUEUE_AHEAD="-1" is not a whole number of kernels/);
});

describe.skipIf(!native.loaded)('the kernel queue', () => {
  const kernels = native.loaded ? native.kernels : null!;
  let threadsBefore = 1;

  beforeAll(async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
    threadsBefore = kernels.threads();
    kernels.setThreads(2);
  });
  // A failed expectation inside a hold must not leave the queue held (every later wait would hang).
  afterEach(() => kernels.releaseQueue());
  afterAll(() => {
    registerWasmTrainingKernels();
    kernels.setThreads(threadsBefore);
  });

  function useQueue(queue: boolean): void {
    registerWasmTrainingKernels({ queue });
    expect(kernelQueueActive()).toBe(queue);
  }

  /** Three Adam steps from a fixed initialisation; every weight afterwards (moving statistics included). */
  function train(architecture: 'resnet18' | 'densenet121', steps = 3): Float32Array[] {
    const config = parseModelConfig({ architecture, inputHeight: 32, inputWidth: 40, channels: 1, widthMultiplier: 0.25, seed: 7 });
    const network = createModel(config);
    const optimizer = tf.train.adam(1e-2);
    const images = Float32Array.from({ length: 4 * 32 * 40 }, (_, i) => ((i * 37) % 101) / 101);
    const backend = tf.backend() as BackendWasm;
    let dataIds = 0;
    for (let step = 0; step < steps; step++) {
      optimizer
        .minimize(() =>
          tf.tidy(() => {
            const p = network.model.apply(tf.tensor4d(images, [4, 32, 40, 1]), { training: true }) as tf.Tensor;
            return tf.losses.logLoss(tf.tensor2d([1, 0, 0, 1], [4, 1]), Array.isArray(p) ? p[0] : p);
          }),
        )
        ?.dispose();
      drainKernelQueue();
      if (step === 1) dataIds = backend.numDataIds();
      if (step === 2) expect(backend.numDataIds(), 'no buffers leaked in a step').toBe(dataIds);
    }
    const weights = network.model.weights.map((w) => w.read().dataSync().slice() as Float32Array);
    optimizer.dispose();
    network.model.dispose();
    return weights;
  }

  it.each(['resnet18', 'densenet121'] as const)('trains %s to the same bits as direct calls', (architecture) => {
    useQueue(false);
    const direct = train(architecture);
    useQueue(true);
    const queued = train(architecture);
    expect(queued.length).toBe(direct.length);
    queued.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(direct[i].buffer)), `weight ${i}`).toBe(true));
  });

  const offsetOf = (t: tf.Tensor): number =>
    ((tf.backend() as BackendWasm).dataIdMap.get(t.dataId) as { memoryOffset: number }).memoryOffset;

  it('makes a read wait for the kernel that writes the tensor', () => {
    useQueue(true);
    const x = tf.randomUniform([1 << 16], -1, 1, 'float32', 11);
    const expected = x.dataSync().map((v) => (v > 0 ? v : 0));
    kernels.holdQueue();
    const y = tf.relu(x);
    // Held at a known point: the ReLU is queued behind the hold and has not run.
    expect(kernels.completed()).toBeLessThan(kernels.submitted());
    kernels.releaseQueue();
    const negated = tf.neg(y); // a stock tfjs-wasm kernel, which waits for its input
    expect(Buffer.from(y.dataSync().buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    expect(Array.from(negated.dataSync()).every((v, i) => v === -expected[i])).toBe(true);
    tf.dispose([x, y, negated]);
  });

  it('keeps no ticket from an earlier queue: a tensor written then reads without a wait', () => {
    useQueue(false);
    useQueue(true);
    const x = tf.randomUniform([1 << 12], -1, 1, 'float32', 14);
    // Five queued kernels: y's writer is the queue's fifth ticket.
    let y = tf.relu(x);
    for (let i = 0; i < 4; i++) {
      const next = tf.relu(y);
      y.dispose();
      y = next;
    }
    drainKernelQueue();
    useQueue(false);
    useQueue(true);
    // A new queue with one kernel, run: y's old ticket (5) is past what this queue has handed out.
    const z = tf.relu(x);
    drainKernelQueue();
    const waits = kernelQueueWaits.count;
    expect(y.dataSync().every((v) => v >= 0)).toBe(true);
    expect(kernelQueueWaits.count, 'a read of y waited on a ticket of the earlier queue').toBe(waits);
    tf.dispose([x, y, z]);
  });

  it('hands freed memory back only after the kernels queued before the free have run', () => {
    useQueue(true);
    const a = tf.tensor1d(Float32Array.from({ length: 4096 }, (_, i) => i));
    const b = tf.tensor1d(new Float32Array(4096).fill(1000));
    const freed = [offsetOf(a), offsetOf(b)];
    kernels.holdQueue();
    const sum = tf.add(a, b); // queued behind the hold, reading a and b
    tf.dispose([a, b]);
    // New tensors of the same size: a heap that had taken a and b back would hand their memory out here.
    const decoys = [tf.tensor1d(new Float32Array(4096).fill(-7)), tf.tensor1d(new Float32Array(4096).fill(-9))];
    for (const decoy of decoys) expect(freed).not.toContain(offsetOf(decoy));
    kernels.releaseQueue();
    const s = sum.dataSync();
    expect(s[0]).toBe(1000);
    expect(s[4095]).toBe(5095);
    // Once the add has run, the held frees go back to the heap: the next allocations reuse them.
    tf.dispose(decoys);
    const again = [tf.tensor1d(new Float32Array(4096)), tf.tensor1d(new Float32Array(4096))];
    expect(again.some((t) => freed.includes(offsetOf(t)))).toBe(true);
    tf.dispose([sum, ...again]);
  });

  /** Runs `body` with the queue on under LEADWISE_QUEUE_AHEAD=`ahead` (read when the queue starts). */
  function withQueueAhead(ahead: string, body: () => void): void {
    const before = process.env[QUEUE_AHEAD_ENV_VAR];
    process.env[QUEUE_AHEAD_ENV_VAR] = ahead;
    try {
      useQueue(false);
      useQueue(true);
      body();
    } finally {
      if (before === undefined) delete process.env[QUEUE_AHEAD_ENV_VAR];
      else process.env[QUEUE_AHEAD_ENV_VAR] = before;
      useQueue(false);
    }
  }

  it('lets JavaScript run at most LEADWISE_QUEUE_AHEAD kernels ahead of the dispatcher', () => {
    const x = tf.randomUniform([1 << 18], -1, 1, 'float32', 13);
    withQueueAhead('4', () => {
      const backlog: number[] = [];
      for (let i = 0; i < 100; i++) {
        tf.relu(x).dispose();
        backlog.push(kernels.submitted() - kernels.completed());
      }
      expect(Math.max(...backlog)).toBeLessThanOrEqual(4);
    });
    // Without a limit the backlog is what JavaScript queued: held at a known point, 10 ReLUs behind a hold.
    withQueueAhead('0', () => {
      kernels.holdQueue();
      for (let i = 0; i < 10; i++) tf.relu(x).dispose();
      expect(kernels.submitted() - kernels.completed()).toBeGreaterThanOrEqual(10);
      kernels.releaseQueue();
      drainKernelQueue();
    });
    x.dispose();
  });

  it('keeps a queued kernel right when the wasm heap grows under it', () => {
    useQueue(true);
    const backend = tf.backend() as BackendWasm;
    const heapBytes = (): number => (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer.byteLength;
    const x = tf.randomUniform([1 << 20], -1, 1, 'float32', 12);
    const expected = x.dataSync().map((v) => (v > 0 ? v : 0));
    const before = heapBytes();
    kernels.holdQueue();
    const y = tf.relu(x);
    const big = tf.zeros([Math.ceil(before / 4) + (16 << 20)]); // more than the heap holds: it must grow
    expect(heapBytes()).toBeGreaterThan(before);
    kernels.releaseQueue(); // the ReLU runs now, on pointers taken before the growth
    expect(Buffer.from(y.dataSync().buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    tf.dispose([x, y, big]);
  });
});
