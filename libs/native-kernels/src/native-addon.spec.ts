import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadNativeKernels, parsePoolEnds, parseThreads, parseWorkerSpin } from './native-addon.ts';

describe('native kernels addon', () => {
  it('reads LEADWISE_THREADS, rejecting what is not a whole number of threads', () => {
    expect(parseThreads(undefined)).toBeNull();
    expect(parseThreads(' ')).toBeNull();
    expect(parseThreads('3')).toBe(3);
    expect(() => parseThreads('0')).toThrow(/LEADWISE_THREADS="0" is not a whole number of threads/);
    expect(() => parseThreads('1.5')).toThrow(/LEADWISE_THREADS/);
  });

  it('reads LEADWISE_WORKER_SPIN_US, rejecting what is not a whole number of microseconds', () => {
    expect(parseWorkerSpin(undefined)).toBeNull();
    expect(parseWorkerSpin('')).toBeNull();
    expect(parseWorkerSpin('0')).toBe(0);
    expect(parseWorkerSpin(' 500 ')).toBe(500);
    expect(() => parseWorkerSpin('-1')).toThrow(/LEADWISE_WORKER_SPIN_US="-1" is not a whole number of microseconds/);
    expect(() => parseWorkerSpin('fast')).toThrow(/LEADWISE_WORKER_SPIN_US/);
  });

  it('reads LEADWISE_POOL_ENDS, 1 or 0', () => {
    expect(parsePoolEnds(undefined)).toBeNull();
    expect(parsePoolEnds(' ')).toBeNull();
    expect(parsePoolEnds('1')).toBe(true);
    expect(parsePoolEnds('0')).toBe(false);
    expect(() => parsePoolEnds('yes')).toThrow(/LEADWISE_POOL_ENDS="yes" is not 1 or 0/);
  });

  it('is off with LEADWISE_NATIVE_KERNELS=0, whether or not it is built', () => {
    expect(loadNativeKernels({ LEADWISE_NATIVE_KERNELS: '0' })).toEqual({ loaded: false, reason: 'LEADWISE_NATIVE_KERNELS=0' });
  });

  it('either loads with a known instruction set or says why not', () => {
    const status = loadNativeKernels({});
    if (status.loaded) {
      expect(['avx512', 'avx2+fma', 'generic']).toContain(status.kernels.isa());
      expect(status.kernels.threads()).toBeGreaterThanOrEqual(1);
      // A wrong length is a clear error, never a write past the buffer.
      expect(() =>
        status.kernels.maxPoolGrad(new Float32Array(4), new Float32Array(1), new Float32Array(3), Int32Array.of(1, 2, 2, 1, 1, 1, 2, 2, 2, 2, 0, 0)),
      ).toThrow(/dx has 3 floats, the shape needs 4/);
    } else {
      expect(status.reason).toMatch(/not built|failed to load/);
    }
  });

  it('resizes its thread pool back and forth without waiting on a thread that has not started yet', () => {
    const status = loadNativeKernels({});
    if (!status.loaded) return;
    const previous = status.kernels.threads();
    // Shrinking right after growing joined a new thread that could miss the stop signal (a hang).
    for (let i = 0; i < 200; i += 1) {
      status.kernels.setThreads(2);
      status.kernels.setThreads(1);
    }
    expect(status.kernels.threads()).toBe(1);
    status.kernels.setThreads(previous);
  });

  it('runs a kernel at once beside a held queue while runNow is set, and queues it otherwise', () => {
    const status = loadNativeKernels({});
    if (!status.loaded) return;
    const { kernels } = status;
    const x = Float32Array.of(-1, 2, -3, 4);
    const now = new Float32Array(4);
    const later = new Float32Array(4);
    kernels.setQueued(true);
    try {
      const held = kernels.holdQueue();
      kernels.setRunNow(true);
      expect(kernels.relu(x, now)).toBeUndefined();
      kernels.setRunNow(false);
      expect(Array.from(now)).toEqual([0, 2, 0, 4]);
      const ticket = kernels.relu(x, later);
      expect(ticket).toBe(held + 1);
      expect(kernels.completed()).toBeLessThan(held);
      expect(Array.from(later)).toEqual([0, 0, 0, 0]);
      kernels.releaseQueue();
      kernels.waitFor(ticket as number);
      expect(Array.from(later)).toEqual([0, 2, 0, 4]);
    } finally {
      kernels.setRunNow(false);
      kernels.releaseQueue();
      kernels.setQueued(false);
    }
    expect(() => (kernels.setRunNow as (value: unknown) => void)('yes')).toThrow(/runNow must be a boolean/);
  });

  it('makes the whole pages of a buffer range resident, contents unchanged, and rejects a range outside it', () => {
    const status = loadNativeKernels({});
    if (!status.loaded) return;
    const page = 4096;
    const buffer = new ArrayBuffer(64 * page);
    const bytes = new Uint8Array(buffer);
    bytes[5 * page + 7] = 42;
    // Only whole pages inside [start, end) count: a range of 8 pages that starts 100 bytes into one
    // holds 7 or 8 whole pages, as the buffer's own start falls in a page.
    const populated = status.kernels.residentPages(buffer, page + 100, 9 * page + 100);
    if (process.platform === 'linux') expect([7 * page, 8 * page]).toContain(populated);
    else expect(populated).toBe(0);
    expect(bytes[5 * page + 7]).toBe(42);
    expect(bytes.reduce((sum, b) => sum + b, 0)).toBe(42);
    expect(status.kernels.residentPages(buffer, 3, 3)).toBe(0);
    expect(() => status.kernels.residentPages(buffer, 0, 65 * page)).toThrow(/start and end must lie in the buffer/);
    expect(() => status.kernels.residentPages(buffer, 10, 5)).toThrow(/start and end must lie in the buffer/);
    expect(() => status.kernels.residentPages(new Float32Array(4) as unknown as ArrayBuffer, 0, 4)).toThrow(/buffer must be an ArrayBuffer/);
  });

  it.skipIf(process.platform !== 'linux')('backs the pages at once: the resident set grows by the range', () => {
    const status = loadNativeKernels({});
    if (!status.loaded) return;
    const size = 64 * 2 ** 20;
    // Above glibc's mmap threshold: fresh, untouched pages.
    const buffer = new ArrayBuffer(size);
    const before = residentBytes();
    // The buffer need not start on a page: all its whole pages, at most one fewer than its length.
    const populated = status.kernels.residentPages(buffer, 0, size);
    expect(populated).toBeGreaterThanOrEqual(size - 4096);
    expect(populated).toBeLessThanOrEqual(size);
    // V8's background threads may hand memory back meanwhile, so only half is asked for: without
    // the call the untouched range adds nothing.
    expect(residentBytes() - before).toBeGreaterThan(0.5 * size);
    expect(new Uint8Array(buffer)[size - 1]).toBe(0);
  });
});

/** The process's resident set (Linux: /proc/self/statm's second field, in pages). */
function residentBytes(): number {
  return Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096;
}
