import { getKernel, util, type KernelConfig, type KernelFunc, type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo } from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { waitForInputs } from './kernel-queue.ts';

/** The arguments tfjs passes to a kernel function registered for the wasm backend. */
export interface WasmKernelArgs {
  readonly inputs: NamedTensorInfoMap;
  readonly backend: BackendWasm;
  readonly attrs?: NamedAttrMap;
}

/**
 * Runs a kernel of the wasm backend directly, below the engine: no tape, no profiling entry, no
 * engine bookkeeping. The caller owns the returned TensorInfo and either returns it from its own
 * kernel (the engine then tracks it) or releases it with `release`.
 */
export function runWasmKernel(
  name: string,
  backend: BackendWasm,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm backend has no kernel ${name}`);
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel ${name} returned ${out.length} outputs, expected one`);
  return out;
}

/**
 * The wasm backend's own kernels that Leadwise replaced, kept so that a replacement can hand the
 * cases it does not speed up back to them (filled in by `registerWasmTrainingKernels`).
 */
export const stockWasmKernels = new Map<string, KernelConfig>();

export function runStockWasmKernel(name: string, args: WasmKernelArgs): TensorInfo {
  const stock = stockWasmKernels.get(name);
  if (!stock) throw new Error(`no stock wasm kernel ${name} recorded`);
  waitForInputs(args.inputs);
  const out = stock.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
  if (Array.isArray(out)) throw new Error(`wasm kernel ${name} returned ${out.length} outputs, expected one`);
  return out;
}

/** A stock kernel with several outputs (SplitV). */
export function runStockWasmKernels(name: string, args: WasmKernelArgs): TensorInfo[] {
  const stock = stockWasmKernels.get(name);
  if (!stock) throw new Error(`no stock wasm kernel ${name} recorded`);
  waitForInputs(args.inputs);
  const out = stock.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
  return Array.isArray(out) ? out : [out];
}

/** Drops this kernel's reference to an intermediate; the wasm heap frees it at refCount 0. */
export function release(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/**
 * A float32 view of a tensor's bytes in the wasm heap, for JavaScript to read or write: with the
 * kernel queue on, it first waits for the queued kernel that writes the tensor (see
 * kernel-queue.ts). Re-take it after any allocation (heap growth detaches it).
 */
export function heapF32(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/**
 * The same view, taken without waiting: only for passing to a native kernel, which the queue runs
 * after every kernel queued before it.
 */
export function nativeView(backend: BackendWasm, info: TensorInfo): Float32Array {
  return new Float32Array(heapBuffer(backend), memoryOffset(backend, info), util.sizeFromShape(info.shape));
}

/** nativeView for an int32 tensor. */
export function nativeInt32View(backend: BackendWasm, info: TensorInfo): Int32Array {
  return new Int32Array(heapBuffer(backend), memoryOffset(backend, info), util.sizeFromShape(info.shape));
}

function heapBuffer(backend: BackendWasm): ArrayBufferLike {
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer;
}

function memoryOffset(backend: BackendWasm, info: TensorInfo): number {
  return (backend.dataIdMap.get(info.dataId) as { memoryOffset: number }).memoryOffset;
}

/** A view of a tensor under another shape, sharing its bytes (one more reference on the data). */
export function reshapeView(backend: BackendWasm, info: TensorInfo, shape: number[]): TensorInfo {
  backend.incRef(info.dataId);
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/**
 * A tensor over part of another's heap memory, with no copy: tfjs-wasm can register a tensor at any
 * heap offset (`makeOutput` with a memory offset). It must be released with `releaseSubView`,
 * never disposed, since its memory belongs to `info`.
 */
export function subView(backend: BackendWasm, info: TensorInfo, elementOffset: number, shape: number[]): TensorInfo {
  waitForInputs({ info });
  return backend.makeOutput(shape, info.dtype, memoryOffset(backend, info) + elementOffset * 4);
}

export function releaseSubView(backend: BackendWasm, view: TensorInfo): void {
  const data = backend.dataIdMap.get(view.dataId) as { id: number } | undefined;
  if (!data) return;
  // Unregisters the id in the C++ side (which also drops any XNNPACK operator cached for it as a
  // filter) without freeing memory that belongs to the parent tensor.
  (backend.wasm as unknown as { tfjs: { disposeData: (id: number) => void } }).tfjs.disposeData(data.id);
  backend.dataIdMap.delete(view.dataId);
}

export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return runWasmKernel('Transpose', backend, { x }, { perm });
}

export type Shape4 = [number, number, number, number];

export function shape4(info: TensorInfo, what: string): Shape4 {
  if (info.shape.length !== 4) throw new Error(`${what} must be rank 4, got shape [${info.shape.join(', ')}]`);
  return info.shape as Shape4;
}

/**
 * Copies a rank-4 NHWC tensor into a new one whose rows and columns are spread `strideH` /
 * `strideW` apart (zeros between) and padded by the given amounts; a negative pad crops. One pass
 * in JS over the heap, so no padded or dilated intermediate is ever materialised twice.
 */
export function dilateAndPad(
  backend: BackendWasm,
  x: TensorInfo,
  strideH: number,
  strideW: number,
  pad: { top: number; bottom: number; left: number; right: number },
): TensorInfo {
  const [n, h, w, c] = shape4(x, 'dilateAndPad input');
  const dilatedH = (h - 1) * strideH + 1;
  const dilatedW = (w - 1) * strideW + 1;
  const outH = dilatedH + pad.top + pad.bottom;
  const outW = dilatedW + pad.left + pad.right;
  if (outH <= 0 || outW <= 0) throw new Error(`dilateAndPad: empty output ${outH}x${outW}`);
  const out = backend.makeOutput([n, outH, outW, c], 'float32');
  const dst = heapF32(backend, out);
  const src = heapF32(backend, x);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      const oi = i * strideH + pad.top;
      if (oi < 0 || oi >= outH) continue;
      const srcRow = ((b * h + i) * w) * c;
      const dstRow = ((b * outH + oi) * outW) * c;
      if (strideW === 1 && pad.left >= 0 && pad.right >= 0) {
        dst.set(src.subarray(srcRow, srcRow + w * c), dstRow + pad.left * c);
        continue;
      }
      for (let j = 0; j < w; j++) {
        const oj = j * strideW + pad.left;
        if (oj < 0 || oj >= outW) continue;
        const s = srcRow + j * c;
        const d = dstRow + oj * c;
        for (let k = 0; k < c; k++) dst[d + k] = src[s + k];
      }
    }
  }
  return out;
}

/** Crops rows/cols of a rank-4 NHWC tensor to [0, h) x [0, w); the source must be at least that big. */
export function cropHW(backend: BackendWasm, x: TensorInfo, h: number, w: number): TensorInfo {
  const [n, xh, xw, c] = shape4(x, 'cropHW input');
  if (xh === h && xw === w) return reshapeView(backend, x, [n, h, w, c]);
  const out = backend.makeOutput([n, h, w, c], 'float32');
  const dst = heapF32(backend, out);
  const src = heapF32(backend, x);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      const s = ((b * xh + i) * xw) * c;
      dst.set(src.subarray(s, s + w * c), ((b * h + i) * w) * c);
    }
  }
  return out;
}

/** A tf.layers class's `call`, with the layer's own fields as `this`. */
export type LayerCall<This> = (this: This, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor;

/**
 * Replaces the `call` of the tf.layers class of `sample` (on its prototype, so every layer of the
 * class) with `wrap(original)`; returns the function that puts the original back.
 */
export function patchLayerCall<This>(sample: tf.layers.Layer, wrap: (original: LayerCall<This>) => LayerCall<This>): () => void {
  const prototype = Object.getPrototypeOf(sample) as { call: LayerCall<This> };
  const original = prototype.call;
  prototype.call = wrap(original);
  return () => {
    prototype.call = original;
  };
}
