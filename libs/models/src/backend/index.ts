export {
  BACKEND_ENV_VAR,
  BACKEND_NAMES,
  BackendSelectionError,
  describeWasm,
  initWasmBackend,
  parseBackendEnv,
  selectBackend,
  type BackendName,
  type SelectBackendOptions,
} from './select-backend.ts';
export {
  registerWasmTrainingKernels,
  restoreStockWasmKernels,
  WASM_TRAINING_KERNELS,
  type WasmTrainingKernelName,
} from './wasm-kernels/register.ts';
