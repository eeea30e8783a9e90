import {
  FusedBatchNorm,
  getGradient,
  getKernel,
  registerGradient,
  registerKernel,
  unregisterKernel,
  type GradConfig,
  type KernelConfig,
} from '@tensorflow/tfjs';
import { fastBatchNormGradient } from './batch-norm-gradient.ts';
import { batchNormConfig } from './batch-norm.ts';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.ts';
import { castConfig, identityConfig } from './identity.ts';
import { stockWasmKernels } from './kernel-utils.ts';
import { maxPoolGradConfig } from './max-pool-grad.ts';
import { meanConfig, sumConfig } from './reduce.ts';
import { tileConfig } from './tile.ts';

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
  | 'Conv2DBackpropFilter'
  | 'Conv2DBackpropInput'
  | 'MaxPoolGrad'
  | 'Sum'
  | 'Mean'
  | 'Tile'
  | 'Identity'
  | 'Cast'
  | 'FusedBatchNorm';

/**
 * Registers the training kernels on the wasm backend (all by default, or only those named, e.g.
 * just the missing filter gradient to measure stock tfjs). Idempotent; the stock kernels it
 * replaces are kept so that `restoreStockWasmKernels` can put them back. Returns what it registered.
 */
export function registerWasmTrainingKernels(
  options: { readonly only?: readonly WasmTrainingKernelName[] } = {},
): WasmTrainingKernelName[] {
  const registered: WasmTrainingKernelName[] = [];
  for (const config of WASM_TRAINING_KERNELS) {
    const name = config.kernelName as WasmTrainingKernelName;
    if (options.only && !options.only.includes(name)) continue;
    const current = getKernel(name, 'wasm');
    if (current?.kernelFunc !== config.kernelFunc) {
      if (current) {
        if (!stockWasmKernels.has(name)) stockWasmKernels.set(name, current);
        unregisterKernel(name, 'wasm');
      }
      registerKernel(config);
    }
    registered.push(name);
  }
  if (!options.only || options.only.includes('FusedBatchNorm')) registerFastBatchNormGradient();
  return registered;
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
  for (const config of WASM_TRAINING_KERNELS) {
    const name = config.kernelName;
    if (getKernel(name, 'wasm')?.kernelFunc !== config.kernelFunc) continue;
    unregisterKernel(name, 'wasm');
    const stock = stockWasmKernels.get(name);
    if (stock) registerKernel(stock);
  }
  if (stockBatchNormGradient) {
    const stock = stockBatchNormGradient;
    silently(() => registerGradient(stock));
    stockBatchNormGradient = null;
  }
}
