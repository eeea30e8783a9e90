export {
  loadNativeKernels,
  NATIVE_KERNELS_ENV_VAR,
  parseThreads,
  THREADS_ENV_VAR,
  type NativeKernels,
  type NativeKernelsStatus,
} from './native-addon.ts';
