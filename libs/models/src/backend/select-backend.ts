import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadNativeKernels } from '@leadwise/native-kernels';
import { nativeKernelsRegistered, registerWasmTrainingKernels } from './wasm-kernels/register.ts';
import { kernelQueueActive } from './wasm-kernels/kernel-queue.ts';

/**
 * The backends Leadwise can train on, fastest first. The two native ones are optional
 * dependencies that usually cannot install here (their install script downloads libtensorflow),
 * so they are loaded by a dynamic import that is allowed to fail.
 */
export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The environment variable that forces one backend instead of the fastest available. */
export const BACKEND_ENV_VAR = 'LEADWISE_BACKEND';

/** `LEADWISE_BACKEND` names a backend that is unknown, or that cannot start on this machine. */
export class BackendSelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendSelectionError';
  }
}

export interface SelectBackendOptions {
  /** Force one backend; defaults to `process.env.LEADWISE_BACKEND`, then the fastest available. */
  readonly prefer?: BackendName;
  /** Register Leadwise's training kernels when the wasm backend is chosen (default true). */
  readonly wasmTrainingKernels?: boolean;
  /**
   * Among those, use the native addon's (@leadwise/native-kernels) where it is built (default
   * true; `LEADWISE_NATIVE_KERNELS=0` also turns it off).
   */
  readonly nativeKernels?: boolean;
  /** Where to say which backend was chosen; defaults to stderr, once per process. */
  readonly log?: (line: string) => void;
}

let announced: string | null = null;

/**
 * Picks the fastest backend that starts here and makes it tfjs's active backend:
 * tfjs-node-gpu, then tfjs-node, then wasm (with the training kernels it lacks), then cpu.
 * Returns the chosen name and logs it once per process.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendName> {
  const forced = options.prefer ?? parseBackendEnv(process.env[BACKEND_ENV_VAR]);
  const candidates: readonly BackendName[] = forced ? [forced] : BACKEND_NAMES;
  const failures: string[] = [];
  for (const name of candidates) {
    const failure = await tryBackend(name, options.wasmTrainingKernels ?? true, options.nativeKernels ?? true);
    if (failure === null) {
      const engine = backendEngineName(name);
      if (announced !== engine) {
        const detail = name === 'wasm' ? ` (${describeWasm()})` : '';
        (options.log ?? ((line) => process.stderr.write(`${line}\n`)))(
          `leadwise: tfjs backend ${engine}${detail}${failures.length ? `; skipped ${failures.join('; ')}` : ''}`,
        );
        announced = engine;
      }
      return name;
    }
    failures.push(`${name}: ${failure}`);
  }
  throw new BackendSelectionError(
    forced
      ? `${BACKEND_ENV_VAR}=${forced} cannot start: ${failures.join('; ')}`
      : `no tfjs backend could start: ${failures.join('; ')}`,
  );
}

/** Reads `LEADWISE_BACKEND`; empty means "choose". */
export function parseBackendEnv(value: string | undefined): BackendName | null {
  if (value === undefined || value.trim() === '') return null;
  const name = value.trim().toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new BackendSelectionError(
    `${BACKEND_ENV_VAR}=${JSON.stringify(value)} is not a backend; use one of ${BACKEND_NAMES.join(', ')}`,
  );
}

/** Returns null when the backend is now active, else why it is not. */
async function tryBackend(name: BackendName, wasmTrainingKernels: boolean, nativeKernels: boolean): Promise<string | null> {
  try {
    switch (name) {
      case 'tfjs-node-gpu':
      case 'tfjs-node':
        // Both packages register the backend 'tensorflow'; the GPU one links CUDA at load time,
        // so a successful import means the GPU build loaded.
        await importOptional(`@tensorflow/${name}`);
        return (await tf.setBackend('tensorflow')) ? null : 'backend "tensorflow" did not initialise';
      case 'wasm':
        await initWasmBackend();
        if (!(await tf.setBackend('wasm'))) return 'backend "wasm" did not initialise';
        if (wasmTrainingKernels) {
          registerWasmTrainingKernels(nativeKernels ? {} : { native: null });
        }
        return null;
      case 'cpu':
        return (await tf.setBackend('cpu')) ? null : 'backend "cpu" did not initialise';
    }
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}

// A variable specifier keeps TypeScript and bundlers from resolving a package that is usually absent.
async function importOptional(specifier: string): Promise<unknown> {
  return import(specifier);
}

let wasmPathsSet = false;

/**
 * Loads the wasm backend package and points it at its own `.wasm` files in node_modules (by
 * default Emscripten looks next to the bundle, which breaks under bundlers and some runners).
 */
export async function initWasmBackend(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet) {
    const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${dirname(entry)}/`);
    wasmPathsSet = true;
  }
}

/**
 * The name to record for a run's engine: 'wasm+native' when the wasm backend trains with the
 * native addon's kernels (a different speed and, in the last bits, different results).
 */
export function backendEngineName(name: BackendName): string {
  return name === 'wasm' && nativeKernelsRegistered() ? 'wasm+native' : name;
}

/**
 * In Node the wasm backend runs single-threaded: tfjs disables its threaded build there
 * (tfjs issue #3830), so SIMD is the only speed-up. Parallelism comes from separate processes.
 */
export function describeWasm(): string {
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  const wasm = `${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'multi-threaded' : 'single-threaded'}`;
  const native = loadNativeKernels();
  if (nativeKernelsRegistered() && native.loaded) {
    // Queued, the pool has one thread fewer: the dispatcher runs the kernels, the waiting JS thread helps.
    return kernelQueueActive()
      ? `${wasm}; native kernels ${native.kernels.isa()}, ${native.kernels.threads() + 1} thread(s), queued`
      : `${wasm}; native kernels ${native.kernels.isa()}, ${native.kernels.threads()} thread(s)`;
  }
  return native.loaded ? wasm : `${wasm}; native kernels off: ${native.reason}`;
}
