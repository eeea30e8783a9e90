import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Set to 0 to train on the wasm kernels even where the addon is built. */
export const NATIVE_KERNELS_ENV_VAR = 'LEADWISE_NATIVE_KERNELS';
/** Threads the native kernels use; defaults to `os.availableParallelism()`. */
export const THREADS_ENV_VAR = 'LEADWISE_THREADS';
/** Microseconds an idle worker thread spins for the next kernel before it sleeps; default 200. */
export const WORKER_SPIN_ENV_VAR = 'LEADWISE_WORKER_SPIN_US';
/** 0: every thread claims a kernel's tasks from the front, instead of the caller from the front and the others from the back. */
export const POOL_ENDS_ENV_VAR = 'LEADWISE_POOL_ENDS';

/**
 * The addon built by node-gyp at install (binding.gyp). Tensors are Float32Array views, normally
 * of the tfjs-wasm heap, read and written in place; shapes are Int32Arrays (see addon.cc).
 *
 * A kernel call runs the kernel and returns nothing; after `setQueued(true)` it validates its
 * arguments, queues the kernel for this thread's dispatcher and returns its ticket (a
 * `KernelTicket`): the memory it reads and writes must then stay allocated and unread until
 * `waitFor` that ticket (libs/models' kernel-queue.ts keeps that rule for the tfjs-wasm heap).
 */
export type KernelTicket = number | undefined;

export interface NativeKernels {
  /** shape: batch, inH, inW, inC, outH, outW, outC, filterH, filterW, strideH, strideW, padTop, padLeft. */
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, shape: Int32Array): KernelTicket;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, shape: Int32Array): KernelTicket;
  /** y = activation(conv(x, filter) + bias); activation 0 = linear, 1 = relu; conv shape as above. */
  conv2d(x: Float32Array, filter: Float32Array, bias: Float32Array | null, y: Float32Array, shape: Int32Array, activation: 0 | 1): KernelTicket;
  /** shape: batch, inH, inW, channels, outH, outW, filterH, filterW, strideH, strideW, padTop, padLeft. */
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, shape: Int32Array): KernelTicket;
  /**
   * y = the mean of x over each window, summed in XNNPACK's order (tfjs-wasm's bits); windows inside
   * the image, at most 9 positions. The shape as maxPoolGrad's.
   */
  avgPool(x: Float32Array, y: Float32Array, shape: Int32Array): KernelTicket;
  /** dx of avgPool where windows do not overlap: dy / positions at each window's positions, 0 elsewhere. */
  avgPoolGrad(dy: Float32Array, dx: Float32Array, shape: Int32Array): KernelTicket;
  /** y = the maximum of x over each window's in-bounds positions; the shape as maxPoolGrad's. */
  maxPool(x: Float32Array, y: Float32Array, shape: Int32Array): KernelTicket;
  /** Batch norm in training mode over x [rows, channels]: writes y, and the batch mean and (biased) variance per channel. */
  batchNormTrainForward(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    channels: number,
    epsilon: number,
    /** true: y is relu of the normalised x (a ReLU after the layer, fused into the kernel's last pass). */
    relu?: boolean,
  ): KernelTicket;
  /**
   * Its gradients: dx, dgamma, dbeta from dy (dmean / dvariance: gradients reaching the statistics, or null).
   * y: the forward's output where it ran with relu; dy is then that output's gradient (the ReLU's gradient fused in).
   */
  batchNormTrainBackward(
    x: Float32Array,
    dy: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    dmean: Float32Array | null,
    dvariance: Float32Array | null,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    channels: number,
    epsilon: number,
    y?: Float32Array | null,
  ): KernelTicket;
  /**
   * One Adam step of one variable into new arrays, rounded as tfjs's ops: scalars = beta1, 1 - beta1,
   * beta2, 1 - beta2, 1 - beta1^t, 1 - beta2^t, epsilon, -learningRate (as float32).
   */
  adamUpdate(
    value: Float32Array,
    m: Float32Array,
    v: Float32Array,
    gradient: Float32Array,
    newValue: Float32Array,
    newM: Float32Array,
    newV: Float32Array,
    scalars: Float32Array,
  ): KernelTicket;
  /**
   * Concatenation along the last axis (rows = product of the other axes): concat true writes wide
   * from the parts side by side, false splits wide into the parts.
   */
  copyColumns(wide: Float32Array, parts: Float32Array[], rows: number, concat: boolean): KernelTicket;
  /** c = op(a) op(b) per batch; shape: batch, batchA (1 or batch), batchB (1 or batch), m, n, k, transposeA, transposeB (0/1). */
  batchMatMul(a: Float32Array, b: Float32Array, c: Float32Array, shape: Int32Array): KernelTicket;
  /** dx = dy * step(x) (tfjs's ReLU gradient). */
  reluGrad(dy: Float32Array, y: Float32Array, dx: Float32Array): KernelTicket;
  /**
   * LeadGroupECG's masked max pooling: x [B, K, C], penalty [B, L, K] -> out [B, L, C] =
   * max over k of x + penalty, winner the first k reaching it; shape: batch, cells K, channels C, leads L.
   */
  maskedMaxPool(x: Float32Array, penalty: Float32Array, out: Float32Array, winner: Int32Array, shape: Int32Array): KernelTicket;
  /** Its gradient: dx [B, K, C] sums dy over the leads whose winner each cell is, in lead order. */
  maskedMaxPoolGrad(dy: Float32Array, winner: Int32Array, dx: Float32Array, shape: Int32Array): KernelTicket;
  /** y = max(x, 0), as tfjs-wasm's ReLU. */
  relu(x: Float32Array, y: Float32Array): KernelTicket;
  /** out = a + b (same lengths). */
  add(a: Float32Array, b: Float32Array, out: Float32Array): KernelTicket;
  /** out = current - (current - value) * decay, each operation rounded to float32 (tfjs-layers' moving statistics). */
  movingAverage(current: Float32Array, value: Float32Array, out: Float32Array, decay: number): KernelTicket;
  /**
   * true: this thread's kernel calls go to its own queue, run in order by a dispatcher thread on
   * the pool, and return tickets; false: what is queued runs, then calls are direct again.
   */
  setQueued(queued: boolean): void;
  /**
   * true: this thread's kernel calls run at once on it, beside its queue (which runs on), and return
   * nothing; false: they are queued again. Only for kernels whose inputs no queued kernel writes.
   */
  setRunNow(runNow: boolean): void;
  /** Returns once the queued kernels up to `ticket` have run; the waiting thread works on them meanwhile. */
  waitFor(ticket: number): void;
  /** The ticket of the last queued kernel that has run (0: none, or not queued). */
  completed(): number;
  /** The ticket of the last kernel queued (0: none, or not queued). */
  submitted(): number;
  /** [busy ms, idle ms] of this thread's dispatcher since its queue started (for benchmarks). */
  queueTimes(): [number, number];
  /** For tests: queues a kernel that runs until `releaseQueue` (a known point); returns its ticket. */
  holdQueue(): number;
  releaseQueue(): void;
  /** For benchmarks: true starts timing every kernel by name (clearing what was counted), false stops. */
  setKernelProfile(on: boolean): void;
  /** [name, calls, ms] per kernel since setKernelProfile(true): each kernel's run, on the thread that ran it. */
  kernelProfile(): [string, number, number][];
  /** For benchmarks, since the process started: [pooled jobs, their callers' tasks, other threads' tasks, jobs the caller ran alone]. */
  poolStats(): [number, number, number, number];
  /**
   * Makes the pages of buffer[start, end) resident now, contents unchanged (Linux: one madvise
   * MADV_POPULATE_WRITE); returns the bytes populated, 0 where the system cannot.
   */
  residentPages(buffer: ArrayBuffer, start: number, end: number): number;
  setThreads(threads: number): void;
  /** How long an idle worker spins for the next kernel before it sleeps (microseconds, 0: at once). */
  setWorkerSpin(microseconds: number): void;
  /** Whether the caller claims tasks from the front and the other threads from the back (default true). */
  setPoolEnds(on: boolean): void;
  threads(): number;
  /** The SGEMM microkernel runtime dispatch chose: 'avx512', 'avx2+fma' or 'generic'. */
  isa(): string;
}

export type NativeKernelsStatus =
  | { readonly loaded: true; readonly kernels: NativeKernels }
  | { readonly loaded: false; readonly reason: string };

const ADDON_PATH = fileURLToPath(new URL('../build/Release/leadwise_native.node', import.meta.url));

let addon: NativeKernelsStatus | null = null;

/**
 * The addon, unless `LEADWISE_NATIVE_KERNELS=0` (read on every call, so that one process can
 * compare both engines). It is loaded once per process, and its threads set then. Not built (no
 * compiler at install) or not loadable (moved to another platform) is not an error: the caller
 * falls back to the wasm kernels and can say why from `reason`.
 */
export function loadNativeKernels(env: NodeJS.ProcessEnv = process.env): NativeKernelsStatus {
  if (env[NATIVE_KERNELS_ENV_VAR]?.trim() === '0') return { loaded: false, reason: `${NATIVE_KERNELS_ENV_VAR}=0` };
  addon ??= loadAddon(env);
  return addon;
}

function loadAddon(env: NodeJS.ProcessEnv): NativeKernelsStatus {
  if (!existsSync(ADDON_PATH)) return { loaded: false, reason: 'addon not built (npm install found no C++ toolchain?)' };
  let kernels: NativeKernels;
  try {
    kernels = createRequire(import.meta.url)(ADDON_PATH) as NativeKernels;
  } catch (error) {
    return { loaded: false, reason: `addon failed to load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
  kernels.setThreads(parseThreads(env[THREADS_ENV_VAR]) ?? availableParallelism());
  const spinUs = parseWorkerSpin(env[WORKER_SPIN_ENV_VAR]);
  if (spinUs !== null) kernels.setWorkerSpin(spinUs);
  const poolEnds = parsePoolEnds(env[POOL_ENDS_ENV_VAR]);
  if (poolEnds !== null) kernels.setPoolEnds(poolEnds);
  return { loaded: true, kernels };
}

/** Reads `LEADWISE_THREADS`; empty means the default. */
export function parseThreads(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const threads = Number(value.trim());
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`${THREADS_ENV_VAR}=${JSON.stringify(value)} is not a whole number of threads (at least 1)`);
  }
  return threads;
}

/** Reads `LEADWISE_WORKER_SPIN_US`; empty means the default. */
export function parseWorkerSpin(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const microseconds = Number(value.trim());
  if (!Number.isInteger(microseconds) || microseconds < 0) {
    throw new Error(`${WORKER_SPIN_ENV_VAR}=${JSON.stringify(value)} is not a whole number of microseconds (0 or more)`);
  }
  return microseconds;
}

/** Reads `LEADWISE_POOL_ENDS` (1 or 0); empty means the default (1). */
export function parsePoolEnds(value: string | undefined): boolean | null {
  if (value === undefined || value.trim() === '') return null;
  if (value.trim() === '1') return true;
  if (value.trim() === '0') return false;
  throw new Error(`${POOL_ENDS_ENV_VAR}=${JSON.stringify(value)} is not 1 or 0`);
}
