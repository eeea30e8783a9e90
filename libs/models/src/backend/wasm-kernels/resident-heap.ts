import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeKernels } from '@leadwise/native-kernels';

/**
 * Keeps the wasm heap's pages resident (issue 14). The heap is one linear memory that emscripten
 * grows by at least a fifth at a time; the operating system backs each new page on its first write.
 * A training step's kernels keep writing pages of the grown heap that no earlier step used, and in a
 * VM whose page faults trap to the hypervisor each such first write costs tens of microseconds (a
 * 256 MiB buffer: ~750 ms by first writes against ~35-55 ms made resident in one call, on this
 * project's CI machines; docs/benchmarks.md). So every time the heap has grown, the new pages are
 * made resident at once, contents unchanged (the addon's `residentPages`, Linux's
 * MADV_POPULATE_WRITE; elsewhere it does nothing and pages stay backed on first touch).
 *
 * The heap only grows to hold what was allocated at once, so this adds at most emscripten's
 * over-growth (a fifth) to a run's resident memory. `LEADWISE_RESIDENT_HEAP=0` turns it off.
 */
export const RESIDENT_HEAP_ENV_VAR = 'LEADWISE_RESIDENT_HEAP';

/** Reads `LEADWISE_RESIDENT_HEAP`: true (1 or left out) or false (0). */
export function parseResidentHeap(value: string | undefined): boolean {
  if (value === undefined || value.trim() === '' || value.trim() === '1') return true;
  if (value.trim() === '0') return false;
  throw new Error(`${RESIDENT_HEAP_ENV_VAR}=${JSON.stringify(value)} must be 1 (make the wasm heap resident as it grows) or 0 (back pages on first touch)`);
}

interface WasmModule {
  HEAPU8: Uint8Array;
  _malloc: (bytes: number) => number;
  _free: (pointer: number) => void;
}

let undo: (() => void) | null = null;

/** Bytes made resident since the process started (for benchmarks and tests). */
export const residentHeapStats = { bytes: 0, calls: 0 };

/**
 * Makes the heap resident now and after each growth (seen at the next `_malloc` through the module,
 * which is how tfjs-wasm allocates every tensor). Idempotent; `releaseResidentHeap` undoes it.
 */
export function keepHeapResident(backend: BackendWasm, native: NativeKernels): void {
  if (undo || !parseResidentHeap(process.env[RESIDENT_HEAP_ENV_VAR])) return;
  const wasm = backend.wasm as unknown as WasmModule;
  // Emscripten binds its exports lazily: the first call of `_malloc` replaces `Module._malloc` with
  // the wasm export, which would drop the wrapper below. This binds it first.
  wasm._free(wasm._malloc(0));
  const malloc = wasm._malloc;
  let resident = 0;
  const populate = (): void => {
    const buffer = wasm.HEAPU8.buffer as ArrayBuffer;
    const end = buffer.byteLength;
    if (end <= resident) return;
    residentHeapStats.bytes += native.residentPages(buffer, resident, end);
    residentHeapStats.calls += 1;
    resident = end;
  };
  populate();
  wasm._malloc = (bytes: number): number => {
    const pointer = malloc(bytes);
    if (wasm.HEAPU8.length !== resident) populate();
    return pointer;
  };
  undo = () => {
    wasm._malloc = malloc;
  };
}

/** Puts the module's own `_malloc` back (what is resident stays resident). */
export function releaseResidentHeap(): void {
  undo?.();
  undo = null;
}
