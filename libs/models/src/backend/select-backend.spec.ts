import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeKernels } from '@leadwise/native-kernels';
import { BACKEND_ENV_VAR, backendEngineName, BackendSelectionError, parseBackendEnv, selectBackend } from './select-backend.ts';

/**
 * Backend choice on this machine: the native tfjs-node packages are optional dependencies that are
 * not installed here, so the fastest backend that starts is wasm, with the training kernels.
 */
describe('selectBackend', () => {
  const saved = process.env[BACKEND_ENV_VAR];
  afterEach(() => {
    if (saved === undefined) delete process.env[BACKEND_ENV_VAR];
    else process.env[BACKEND_ENV_VAR] = saved;
  });

  it('parses LEADWISE_BACKEND, rejecting unknown names with the variable in the message', () => {
    expect(parseBackendEnv(undefined)).toBeNull();
    expect(parseBackendEnv(' ')).toBeNull();
    expect(parseBackendEnv('WASM')).toBe('wasm');
    expect(parseBackendEnv('tfjs-node-gpu')).toBe('tfjs-node-gpu');
    expect(() => parseBackendEnv('webgpu')).toThrow(/LEADWISE_BACKEND="webgpu" is not a backend/);
  });

  it('falls through the absent native backends to wasm, says so once, and registers the training kernels', async () => {
    delete process.env[BACKEND_ENV_VAR];
    const lines: string[] = [];
    const chosen = await selectBackend({ log: (line) => lines.push(line) });
    const nativeInstalled = await import('@tensorflow/tfjs-node' as string).then(
      () => true,
      () => false,
    );
    if (nativeInstalled) return; // a machine with libtensorflow picks it; nothing more to check here
    expect(chosen).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(lines).toHaveLength(1);
    // With the native addon built (and not switched off) the engine is named for it.
    const native = loadNativeKernels();
    expect(backendEngineName(chosen)).toBe(native.loaded ? 'wasm+native' : 'wasm');
    const engine = native.loaded ? 'wasm\\+native' : 'wasm';
    const detail = native.loaded ? 'native kernels (avx512|avx2\\+fma|generic), \\d+ thread\\(s\\)(, queued)?' : 'native kernels off: .*';
    expect(lines[0]).toMatch(
      new RegExp(`^leadwise: tfjs backend ${engine} \\(SIMD, single-threaded; ${detail}\\); skipped tfjs-node-gpu: .*; tfjs-node: `),
    );
    await selectBackend({ log: (line) => lines.push(line) });
    expect(lines).toHaveLength(1);
  });

  it('honours LEADWISE_BACKEND and fails clearly when the forced backend cannot start', async () => {
    process.env[BACKEND_ENV_VAR] = 'cpu';
    expect(await selectBackend({ log: () => undefined })).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const nativeInstalled = await import('@tensorflow/tfjs-node' as string).then(
      () => true,
      () => false,
    );
    if (!nativeInstalled) {
      process.env[BACKEND_ENV_VAR] = 'tfjs-node';
      await expect(selectBackend({ log: () => undefined })).rejects.toThrow(BackendSelectionError);
      await expect(selectBackend({ log: () => undefined })).rejects.toThrow(/LEADWISE_BACKEND=tfjs-node cannot start/);
    }
  });
});
