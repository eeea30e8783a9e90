export {
  BACKEND_ENV_VAR,
  BACKEND_NAMES,
  BackendSelectionError,
  backendEngineName,
  describeWasm,
  initWasmBackend,
  parseBackendEnv,
  selectBackend,
  type BackendName,
  type SelectBackendOptions,
} from './select-backend.ts';
export {
  nativeKernelsRegistered,
  registerWasmTrainingKernels,
  restoreStockWasmKernels,
  WASM_TRAINING_KERNELS,
  type RegisterTrainingKernelsOptions,
  type WasmTrainingKernelName,
} from './wasm-kernels/register.ts';
export { patchEngineClone, unpatchEngineClone } from './wasm-kernels/saved-tensors.ts';
export { MOVING_AVERAGE } from './wasm-kernels/batch-norm-training.ts';
export {
  KERNEL_QUEUE_ENV_VAR,
  QUEUE_AHEAD_ENV_VAR,
  QUEUE_RUN_NOW_ENV_VAR,
  kernelQueueActive,
  kernelQueueRanNow,
  kernelQueueWaits,
  parseKernelQueue,
} from './wasm-kernels/kernel-queue.ts';
export { RESIDENT_HEAP_ENV_VAR, parseResidentHeap, residentHeapStats } from './wasm-kernels/resident-heap.ts';
