export {
  loadNativeKernels,
  NATIVE_KERNELS_ENV_VAR,
  POOL_ENDS_ENV_VAR,
  parsePoolEnds,
  parseThreads,
  parseWorkerSpin,
  THREADS_ENV_VAR,
  WORKER_SPIN_ENV_VAR,
  type KernelTicket,
  type NativeKernels,
  type NativeKernelsStatus,
} from './native-addon.ts';
