import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { loadNativeKernels } from '@leadwise/native-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../select-backend.ts';
import { registerWasmTrainingKernels } from './register.ts';
import { keepHeapResident, parseResidentHeap, releaseResidentHeap, RESIDENT_HEAP_ENV_VAR, residentHeapStats } from './resident-heap.ts';

/**
 * The wasm heap made resident as it grows (resident-heap.ts): each growth is populated once, by its
 * exact size, with the heap's contents unchanged; LEADWISE_RESIDENT_HEAP=0 leaves pages to first touch.
 */
const native = loadNativeKernels();

it('reads LEADWISE_RESIDENT_HEAP: 1 or left out, or 0', () => {
  expect(parseResidentHeap(undefined)).toBe(true);
  expect(parseResidentHeap(' ')).toBe(true);
  expect(parseResidentHeap('1')).toBe(true);
  expect(parseResidentHeap(' 0 ')).toBe(false);
  expect(() => parseResidentHeap('no')).toThrow(/LEADWISE_RESIDENT_HEAP="no" must be 1 \(make the wasm heap resident as it grows\) or 0/);
});

describe.skipIf(!native.loaded || process.platform !== 'linux')('the resident wasm heap', () => {
  const kernels = native.loaded ? native.kernels : null!;
  const heapBytes = (): number => ((tf.backend() as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length;

  beforeAll(async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });
  afterAll(() => {
    delete process.env[RESIDENT_HEAP_ENV_VAR];
    releaseResidentHeap();
    registerWasmTrainingKernels();
  });

  /** A tensor larger than the heap's free room: the heap grows to hold it. Its values, and the heap size before and after. */
  function growHeap(): { values: Float32Array; before: number; after: number; tensor: tf.Tensor } {
    const before = heapBytes();
    const length = Math.ceil(before / 4) + 12345;
    const values = Float32Array.from({ length }, (_, i) => (i % 977) - 488.5);
    const tensor = tf.tensor1d(values);
    return { values, before, after: heapBytes(), tensor };
  }

  it('populates each growth once, by its size, and keeps what the heap holds', () => {
    const kept = tf.tensor1d(Float32Array.from({ length: 1000 }, (_, i) => i / 7));
    const keptValues = kept.dataSync().slice();
    const { bytes, calls } = residentHeapStats;
    const grown = growHeap();
    expect(grown.after).toBeGreaterThan(grown.before);
    expect(residentHeapStats.calls).toBe(calls + 1);
    // The wasm memory's pages are whole (64 KiB units), so the growth is populated exactly.
    expect(residentHeapStats.bytes - bytes).toBe(grown.after - grown.before);
    expect(Buffer.from(grown.tensor.dataSync().buffer).equals(Buffer.from(grown.values.buffer))).toBe(true);
    expect(Buffer.from(kept.dataSync().buffer).equals(Buffer.from(keptValues.buffer))).toBe(true);
    tf.dispose([kept, grown.tensor]);
  });

  it('leaves pages to first touch with LEADWISE_RESIDENT_HEAP=0', () => {
    releaseResidentHeap();
    process.env[RESIDENT_HEAP_ENV_VAR] = '0';
    keepHeapResident(tf.backend() as BackendWasm, kernels);
    const { bytes, calls } = residentHeapStats;
    const grown = growHeap();
    expect(grown.after).toBeGreaterThan(grown.before);
    expect(residentHeapStats).toEqual({ bytes, calls });
    expect(Buffer.from(grown.tensor.dataSync().buffer).equals(Buffer.from(grown.values.buffer))).toBe(true);
    grown.tensor.dispose();
  });
});
