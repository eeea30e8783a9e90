import {
  findBackend,
  FusedBatchNorm,
  Relu,
  getBackend,
  getGradient,
  Mean,
  getKernel,
  registerGradient,
  registerKernel,
  unregisterKernel,
  type GradConfig,
  type KernelConfig,
} from '@tensorflow/tfjs';
import { fastBatchNormGradient } from './batch-norm-gradient.ts';
import { batchNormConfig } from './batch-norm.ts';
import {
  batchNormReluTrainingGradConfig,
  batchNormTrainingAvailable,
  batchNormTrainingGradConfig,
  patchBatchNormalizationLayer,
  patchReluLayer,
} from './batch-norm-training.ts';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.ts';
import { patchConv2DLayer } from './conv-layer.ts';
import { castConfig, identityConfig } from './identity.ts';
import { loadNativeKernels, type NativeKernels } from '@leadwise/native-kernels';
import { stockWasmKernels } from './kernel-utils.ts';
import { maxPoolGradConfig } from './max-pool-grad.ts';
import { fastMeanGradient } from './mean-gradient.ts';
import { nativeTrainingKernelConfigs } from './native-kernels.ts';
import { meanConfig, sumConfig } from './reduce.ts';
import { fastReluGradient } from './relu-gradient.ts';
import { patchAdamOptimizer } from './adam.ts';
import { tileConfig } from './tile.ts';
import { patchEngineClone, unpatchEngineClone } from './saved-tensors.ts';
import { keepHeapResident, releaseResidentHeap } from './resident-heap.ts';
import { disableKernelQueue, enableKernelQueue, KERNEL_QUEUE_ENV_VAR, parseKernelQueue, unwrapQueuedKernel } from './kernel-queue.ts';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The wasm kernels Leadwise adds (missing upstream) or replaces (slow upstream) for training. */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  sumConfig,
  meanConfig,
  tileConfig,
  identityConfig,
  castConfig,
  batchNormConfig,
];

export type WasmTrainingKernelName =
  | 'Conv2D'
  | 'FusedConv2D'
  | 'Conv2DBackpropFilter'
  | 'Conv2DBackpropInput'
  | 'MaxPoolGrad'
  | 'Sum'
  | 'Mean'
  | 'Tile'
  | 'Identity'
  | 'Cast'
  | 'FusedBatchNorm'
  | 'LeadwiseBatchNormTraining'
  | 'LeadwiseBatchNormTrainingGrad'
  | 'LeadwiseBatchNormReluTraining'
  | 'LeadwiseMovingAverage'
  | 'LeadwiseReluGrad'
  | 'LeadwiseAdamUpdate'
  | 'Concat'
  | 'SplitV'
  | 'BatchMatMul'
  | 'LeadwiseMaskedMaxPool'
  | 'LeadwiseMaskedMaxPoolGrad';

export interface RegisterTrainingKernelsOptions {
  /** Register only these (e.g. just the missing filter gradient, to measure stock tfjs). */
  readonly only?: readonly WasmTrainingKernelName[];
  /**
   * The loaded native addon: its kernels then replace ours for the conv gradients and the max-pool
   * gradient, and tfjs-wasm's forward convolutions (see native-kernels.ts). Absent: the addon if it loads (`loadNativeKernels`, which
   * honours LEADWISE_NATIVE_KERNELS=0). Null: the wasm kernels only.
   */
  readonly native?: NativeKernels | null;
  /**
   * Queue the native kernels (kernel-queue.ts). Absent: `LEADWISE_KERNEL_QUEUE`, else on wherever
   * the native kernels have two or more threads.
   */
  readonly queue?: boolean;
}

/** Every kernel function Leadwise has registered, so that none is ever recorded as a stock kernel. */
const leadwiseKernelFuncs = new Set<KernelConfig['kernelFunc']>(WASM_TRAINING_KERNELS.map((k) => k.kernelFunc));

let nativeConfigs: { native: NativeKernels; configs: KernelConfig[] } | null = null;

function configsFor(native: NativeKernels | null | undefined): readonly KernelConfig[] {
  if (!native) return WASM_TRAINING_KERNELS;
  // One set of kernel functions per addon, so that registering twice is a no-op.
  if (nativeConfigs?.native !== native) {
    nativeConfigs = { native, configs: nativeTrainingKernelConfigs(native) };
    for (const config of nativeConfigs.configs) leadwiseKernelFuncs.add(config.kernelFunc);
  }
  const replaced = new Map(nativeConfigs.configs.map((c) => [c.kernelName, c]));
  const ours = new Set(WASM_TRAINING_KERNELS.map((c) => c.kernelName));
  return [
    ...WASM_TRAINING_KERNELS.map((c) => replaced.get(c.kernelName) ?? c),
    ...nativeConfigs.configs.filter((c) => !ours.has(c.kernelName)),
  ];
}

/**
 * Registers the training kernels on the wasm backend (all by default, or only those named), the
 * native ones where given. Idempotent; the stock kernels it replaces are kept so that
 * `restoreStockWasmKernels` can put them back. Returns what it registered.
 */
export function registerWasmTrainingKernels(options: RegisterTrainingKernelsOptions = {}): WasmTrainingKernelName[] {
  const registered: WasmTrainingKernelName[] = [];
  const native = options.native === undefined ? defaultNativeKernels() : options.native;
  // The queue wraps the registry: it comes off before the registry changes and back on after.
  disableKernelQueue();
  for (const config of configsFor(native)) {
    const name = config.kernelName as WasmTrainingKernelName;
    if (options.only && !options.only.includes(name)) continue;
    const current = getKernel(name, 'wasm');
    if (current?.kernelFunc !== config.kernelFunc) {
      if (current) {
        if (!stockWasmKernels.has(name) && !leadwiseKernelFuncs.has(current.kernelFunc)) stockWasmKernels.set(name, current);
        unregisterKernel(name, 'wasm');
      }
      registerKernel(config);
    }
    registered.push(name);
  }
  if (!native) restoreNativeOnlyKernels();
  else registerBatchNormTraining();
  if (!options.only || options.only.includes('FusedBatchNorm')) registerFastBatchNormGradient();
  if (!options.only || options.only.includes('Mean')) registerFastMeanGradient();
  if (!options.only || options.only.includes('Identity')) patchEngineClone();
  const backend = findBackend('wasm') as BackendWasm | undefined;
  if (native && backend && !options.only) keepHeapResident(backend, native);
  if (native && backend && !options.only && wantsKernelQueue(native, options.queue)) {
    enableKernelQueue(backend, native, new Set(nativeConfigs?.configs.map((c) => c.kernelFunc)));
  }
  return registered;
}

function wantsKernelQueue(native: NativeKernels, queue: boolean | undefined): boolean {
  return queue ?? parseKernelQueue(process.env[KERNEL_QUEUE_ENV_VAR]) ?? native.threads() >= 2;
}

/** The kernels only the addon replaces (the forward convolutions) go back to tfjs-wasm's own. */
function restoreNativeOnlyKernels(): void {
  const ours = new Set(WASM_TRAINING_KERNELS.map((c) => c.kernelName));
  for (const config of nativeConfigs?.configs ?? []) {
    if (ours.has(config.kernelName) || getKernel(config.kernelName, 'wasm')?.kernelFunc !== config.kernelFunc) continue;
    unregisterKernel(config.kernelName, 'wasm');
    const stock = stockWasmKernels.get(config.kernelName);
    if (stock) registerKernel(stock);
  }
}

function defaultNativeKernels(): NativeKernels | null {
  const status = loadNativeKernels();
  return status.loaded ? status.kernels : null;
}

/** Whether the wasm backend now runs the native addon's kernels (`registerWasmTrainingKernels` with `native`). */
export function nativeKernelsRegistered(): boolean {
  return (
    nativeConfigs !== null &&
    nativeConfigs.configs.some((c) => {
      const registered = getKernel(c.kernelName, 'wasm')?.kernelFunc;
      return registered !== undefined && unwrapQueuedKernel(registered) === c.kernelFunc;
    })
  );
}

let batchNormTrainingRegistered = false;

/**
 * The routes to the native element-wise kernels, each taken only where the active backend has its
 * kernel (so they stay in place when the kernels are unregistered): the fused training-mode batch
 * norm (batch-norm-training.ts; its gradient is for a kernel name of our own) and the layer's
 * route to it (with the ReLU layer's pass-through where the ReLU is fused into it), the ReLU gradient (relu-gradient.ts) and Adam's update (adam.ts), and the
 * bias-free Conv2D layer's route to tf.conv2d (conv-layer.ts) while the native kernels are in place.
 * Idempotent.
 */
function registerBatchNormTraining(): void {
  if (batchNormTrainingRegistered) return;
  batchNormTrainingRegistered = true;
  registerGradient(batchNormTrainingGradConfig);
  registerGradient(batchNormReluTrainingGradConfig);
  patchBatchNormalizationLayer();
  patchReluLayer();
  const relu = getGradient(Relu);
  if (relu) silently(() => registerGradient(fastReluGradient(relu)));
  patchAdamOptimizer();
  // The fused batch-norm kernel marks the native kernels (and stays registered when a profiler wraps them).
  patchConv2DLayer(() => getBackend() === 'wasm' && batchNormTrainingAvailable());
}

let stockBatchNormGradient: GradConfig | null = null;

/** See batch-norm-gradient.ts; global (all backends), identical results. Idempotent. */
function registerFastBatchNormGradient(): void {
  if (stockBatchNormGradient) return;
  const current = getGradient(FusedBatchNorm);
  if (!current) return;
  stockBatchNormGradient = current;
  silently(() => registerGradient(fastBatchNormGradient(current)));
}

let stockMeanGradient: GradConfig | null = null;

/** See mean-gradient.ts; global (all backends), bit-identical results. Idempotent. */
function registerFastMeanGradient(): void {
  if (stockMeanGradient) return;
  const current = getGradient(Mean);
  if (!current) return;
  stockMeanGradient = current;
  silently(() => registerGradient(fastMeanGradient(current)));
}

/** tfjs warns on stdout when a gradient is overridden; that override is the point here. */
function silently(f: () => void): void {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    f();
  } finally {
    console.warn = warn;
  }
}

/** Puts back the wasm backend's own kernels (and removes the ones it never had). */
export function restoreStockWasmKernels(): void {
  disableKernelQueue();
  releaseResidentHeap();
  const names = new Set([...WASM_TRAINING_KERNELS, ...(nativeConfigs?.configs ?? [])].map((c) => c.kernelName));
  for (const name of names) {
    const current = getKernel(name, 'wasm');
    if (!current || !leadwiseKernelFuncs.has(current.kernelFunc)) continue;
    unregisterKernel(name, 'wasm');
    const stock = stockWasmKernels.get(name);
    if (stock) registerKernel(stock);
  }
  if (stockBatchNormGradient) {
    const stock = stockBatchNormGradient;
    silently(() => registerGradient(stock));
    stockBatchNormGradient = null;
  }
  if (stockMeanGradient) {
    const stock = stockMeanGradient;
    silently(() => registerGradient(stock));
    stockMeanGradient = null;
  }
  unpatchEngineClone();
}
