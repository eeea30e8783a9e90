import {
  Add,
  BatchMatMul,
  Concat,
  getKernelsForBackend,
  registerKernel,
  Relu,
  Reshape,
  SplitV,
  unregisterKernel,
  util,
  type DataId,
  type KernelConfig,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeKernels } from '@leadwise/native-kernels';
import { castConfig, identityConfig } from './identity.ts';
import { nativeView } from './kernel-utils.ts';
import { MASKED_MAX_POOL, MASKED_MAX_POOL_GRAD } from './masked-max-pool.ts';
import { RELU_GRAD } from './relu-gradient.ts';
import { ADAM_UPDATE } from './adam.ts';

/**
 * The kernel queue: the native kernels run in order on a dispatcher thread while JavaScript goes on
 * with tfjs's bookkeeping (engine, tape, layers) and queues the next ones, so the ~15-20% of a step
 * that is JavaScript overlaps the kernels instead of adding to them (issue 14). `LEADWISE_KERNEL_QUEUE`
 * = 1 turns it on, 0 off; left out, it is on wherever the native kernels have two or more threads.
 *
 * What keeps it correct (the results are the same bits as direct calls: the same kernels run in the
 * same order on the same task splits, kernel-queue.spec.ts):
 * - A queued kernel only writes its own outputs, fresh allocations. The ticket of the kernel that
 *   writes a tensor is kept with its data; anything that reads a tensor's bytes outside the queue
 *   (tfjs-wasm's own kernels, Leadwise's JavaScript kernels, `readSync` / `typedArrayFromHeap`,
 *   `dataSync`) first waits for that ticket. Kernels that never read bytes (Reshape, Identity, a
 *   Cast to the same dtype: they share the buffer) do not wait.
 * - Memory freed while kernels are queued is handed back to the wasm heap only once every kernel
 *   queued before the free has run, so no queued kernel reads or writes memory that has been
 *   reused.
 * - The wasm heap may grow while kernels are queued: V8 grows a 64-bit process's wasm memory in
 *   place (it reserves the whole address range up front), so the pointers a queued kernel holds stay
 *   valid; the spec checks that with a heap growth under a running queue.
 * - Stock ReLU and same-shape float Add, which a ResNet block runs between every two native kernels,
 *   get native twins here (the same bits) so that the queue does not stall on them.
 * - A light native kernel (runNowKernels, at most RUN_NOW_MAX_FLOATS floats of input) whose
 *   inputs are all written already runs at once on the JavaScript thread, beside the queue, instead
 *   of queueing behind it: LeadGroupECG's head (a few hundred small ops on the stage-3 map) then
 *   goes on while the dispatcher runs the backbone's stage 4, where before its first read of a
 *   queued result waited for all of stage 4. Same kernel, same task split: the same bits.
 *   `LEADWISE_QUEUE_RUN_NOW=0` queues them all (for benchmarks).
 */
export const KERNEL_QUEUE_ENV_VAR = 'LEADWISE_KERNEL_QUEUE';
/**
 * How many kernels JavaScript may queue ahead of the dispatcher before it waits (helping) for the
 * older half to run; 0: no limit. Frees are held until the kernels before them have run, so a
 * JavaScript thread far ahead (DenseNet's backward pass: ~1,000 small kernels) holds back most of
 * the step's freed memory, and the heap grows (2.2 GB against 1.4 GB direct) with cold buffers.
 */
export const QUEUE_AHEAD_ENV_VAR = 'LEADWISE_QUEUE_AHEAD';
const DEFAULT_QUEUE_AHEAD = 64;

export const QUEUE_RUN_NOW_ENV_VAR = 'LEADWISE_QUEUE_RUN_NOW';
/** Input floats up to which a light kernel with its inputs written runs at once (see above). */
export const RUN_NOW_MAX_FLOATS = 1 << 18;

/** Kernels cheap per float read (no convolution, no batch norm): the ones that may run at once. */
function runNowKernels(): ReadonlySet<string> {
  return new Set([BatchMatMul, Concat, SplitV, MASKED_MAX_POOL, MASKED_MAX_POOL_GRAD, RELU_GRAD, ADAM_UPDATE, Add, Relu]);
}

/** Reads `LEADWISE_QUEUE_RUN_NOW` (1 or 0); empty means on. */
export function parseQueueRunNow(value: string | undefined): boolean {
  if (value === undefined || value.trim() === '' || value.trim() === '1') return true;
  if (value.trim() === '0') return false;
  throw new Error(`${QUEUE_RUN_NOW_ENV_VAR}=${JSON.stringify(value)} must be 1 (light kernels with written inputs run at once) or 0 (queue every kernel)`);
}

/** Reads `LEADWISE_QUEUE_AHEAD`: a whole number of kernels, 0 for no limit; empty for the default. */
export function parseQueueAhead(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_QUEUE_AHEAD;
  const ahead = Number(value.trim());
  if (!Number.isInteger(ahead) || ahead < 0) {
    throw new Error(`${QUEUE_AHEAD_ENV_VAR}=${JSON.stringify(value)} is not a whole number of kernels (0: no limit)`);
  }
  return ahead;
}

/** Reads `LEADWISE_KERNEL_QUEUE`: true / false, or null for the default. */
export function parseKernelQueue(value: string | undefined): boolean | null {
  if (value === undefined || value.trim() === '') return null;
  const v = value.trim();
  if (v === '1') return true;
  if (v === '0') return false;
  throw new Error(`${KERNEL_QUEUE_ENV_VAR}=${JSON.stringify(value)} must be 1 (queue the native kernels) or 0 (call them directly)`);
}

/**
 * Kernels that never read their inputs' bytes themselves: tfjs-wasm's Reshape and Leadwise's
 * Identity and Cast share the buffer (the Cast's other dtypes go to the stock kernel through
 * runStockWasmKernel, which waits).
 */
function sharesBuffer(config: KernelConfig): boolean {
  return config.kernelName === Reshape || config.kernelFunc === identityConfig.kernelFunc || config.kernelFunc === castConfig.kernelFunc;
}

interface QueueState {
  readonly native: NativeKernels;
  readonly backend: BackendWasm;
  /** What this queue adds to the addon's tickets before they are kept on data ids (see writerOf). */
  readonly ticketBase: number;
  /** The highest ticket handed out, and the highest known to have run. */
  submitted: number;
  completed: number;
  /** Frees held back until the kernels queued before them have run: [pointer, ticket] pairs, in ticket order. */
  readonly deferredFrees: number[];
  /** The wasm heap's own free. */
  readonly free: (pointer: number) => void;
  readonly nativeKernelFuncs: ReadonlySet<KernelFunc>;
  /** QUEUE_AHEAD_ENV_VAR's limit (0: none). */
  readonly ahead: number;
  /** QUEUE_RUN_NOW_ENV_VAR: whether light kernels with written inputs run at once. */
  readonly runNow: boolean;
  readonly restore: Array<() => void>;
}

let state: QueueState | null = null;

/**
 * The ticket of the queued kernel that writes a tensor's bytes is kept on the tensor's data id
 * itself (so it goes with the data), as ticketBase + the addon's ticket. A WeakMap did the same,
 * but every step grew and shrank its hash table by thousands of entries: reallocated tables, page
 * faults and scavenger work on the JavaScript thread (issue 14, docs/benchmarks.md). Each queue the
 * process turns on gets its own ticketBase, above every earlier one, so a ticket left on a data id
 * by an earlier queue (all of whose kernels have run) reads as no ticket.
 */
const WRITER = Symbol('leadwise.kernelQueue.writer');
type TicketedDataId = DataId & { [WRITER]?: number };
const TICKETS_PER_QUEUE = 2 ** 40;
let nextTicketBase = 0;

/** The addon ticket of the kernel of queue s that writes this data, or 0 when none is pending there. */
function writerOf(s: QueueState, dataId: DataId): number {
  const writer = (dataId as TicketedDataId)[WRITER];
  return writer !== undefined && writer > s.ticketBase ? writer - s.ticketBase : 0;
}

/** The kernel functions the queue registered in place of others, and what they wrap. */
const wrapped = new WeakMap<KernelFunc, KernelFunc>();

/** The kernel function under the queue's routing (itself when it is not one of the queue's). */
export function unwrapQueuedKernel(kernelFunc: KernelFunc): KernelFunc {
  return wrapped.get(kernelFunc) ?? kernelFunc;
}

/** Whether native kernels are being queued now. */
export function kernelQueueActive(): boolean {
  return state !== null;
}

function refreshCompleted(s: QueueState): number {
  if (s.completed < s.submitted) s.completed = s.native.completed();
  return s.completed;
}

/** How often and how long JavaScript has waited for queued kernels (for benchmarks). */
export const kernelQueueWaits = { count: 0, ms: 0, byReason: new Map<string, { count: number; ms: number }>() };
let waitReason = 'other';

function waitForTicket(s: QueueState, ticket: number): void {
  if (ticket <= s.completed || ticket <= refreshCompleted(s)) return;
  const t0 = performance.now();
  s.native.waitFor(ticket);
  const ms = performance.now() - t0;
  kernelQueueWaits.count++;
  kernelQueueWaits.ms += ms;
  const r = kernelQueueWaits.byReason.get(waitReason) ?? { count: 0, ms: 0 };
  r.count++;
  r.ms += ms;
  kernelQueueWaits.byReason.set(waitReason, r);
  s.completed = ticket;
  releaseDeferredFrees(s);
}

/** Waits for the queued kernels that write these tensors, if any (a no-op with the queue off). */
export function waitForInputs(inputs: NamedTensorInfoMap | Record<string, TensorInfo | undefined>): void {
  const s = state;
  if (!s || s.completed >= s.submitted) return;
  let ticket = 0;
  for (const key in inputs) {
    const info = inputs[key];
    if (!info) continue;
    const writer = writerOf(s, info.dataId);
    if (writer > ticket) ticket = writer;
  }
  if (ticket > 0) waitForTicket(s, ticket);
}

/** Waits until every queued kernel has run. */
export function drainKernelQueue(): void {
  const s = state;
  if (s) waitForTicket(s, s.submitted);
}

/** Called after each queued kernel: past the limit, waits (helping) until the backlog is down to half of it. */
function keepUp(s: QueueState): void {
  if (s.ahead === 0 || s.submitted - s.completed <= s.ahead || s.submitted - refreshCompleted(s) <= s.ahead) return;
  waitReason = 'backlog';
  waitForTicket(s, s.submitted - (s.ahead >> 1));
  waitReason = 'other';
}

function releaseDeferredFrees(s: QueueState): void {
  const frees = s.deferredFrees;
  if (frees.length === 0) return;
  let i = 0;
  while (i < frees.length && frees[i + 1] <= s.completed) {
    s.free(frees[i]);
    i += 2;
  }
  if (i > 0) frees.splice(0, i);
}

/** Records a kernel the addon has just queued: its ticket, the outputs it writes, then keepUp. */
function recordQueued(s: QueueState, out: TensorInfo | TensorInfo[], ticket: number): void {
  s.submitted = ticket;
  const writer = s.ticketBase + ticket;
  if (Array.isArray(out)) for (const info of out) (info.dataId as TicketedDataId)[WRITER] = writer;
  else (out.dataId as TicketedDataId)[WRITER] = writer;
  keepUp(s);
}

type WasmKernelFunc = (args: { inputs: NamedTensorInfoMap; backend: BackendWasm; attrs?: unknown }) => TensorInfo | TensorInfo[];

/**
 * Turns the queue on for the wasm backend (idempotent): the addon queues this thread's kernel
 * calls; the native kernels registered now (`nativeKernelFuncs`) tag their outputs with their
 * ticket, every other wasm kernel waits for its inputs, and the backend's reads and frees are
 * routed as above. `disableKernelQueue` undoes all of it.
 */
export function enableKernelQueue(backend: BackendWasm, native: NativeKernels, nativeKernelFuncs: ReadonlySet<KernelFunc>): void {
  if (state) return;
  const wasm = backend.wasm as unknown as { _free: (pointer: number) => void };
  // Emscripten binds its exports lazily: the first call of `_free` replaces `Module._free` with the
  // wasm export, which would drop the routing below. free(NULL) does nothing but bind it.
  wasm._free(0);
  const free = wasm._free;
  const s: QueueState = {
    native,
    backend,
    ticketBase: nextTicketBase,
    submitted: 0,
    completed: 0,
    deferredFrees: [],
    free,
    nativeKernelFuncs,
    ahead: parseQueueAhead(process.env[QUEUE_AHEAD_ENV_VAR]),
    runNow: parseQueueRunNow(process.env[QUEUE_RUN_NOW_ENV_VAR]),
    restore: [],
  };
  nextTicketBase += TICKETS_PER_QUEUE;

  native.setQueued(true);
  s.restore.push(() => native.setQueued(false));
  // The dispatcher is the pool's caller now and the waiting JS thread takes part: one fewer worker.
  const threads = native.threads();
  if (threads > 1) {
    native.setThreads(threads - 1);
    s.restore.push(() => native.setThreads(threads));
  }

  wasm._free = (pointer: number): void => {
    if (refreshCompleted(s) >= s.submitted) {
      releaseDeferredFrees(s);
      free(pointer);
    } else {
      s.deferredFrees.push(pointer, s.submitted);
      releaseDeferredFrees(s);
    }
  };
  s.restore.push(() => {
    wasm._free = free;
  });

  const read = backend.readSync;
  backend.readSync = function readSyncAfterQueue(this: BackendWasm, dataId: DataId, start?: number, end?: number) {
    const writer = writerOf(s, dataId);
    if (writer > 0) waitForTicket(s, writer);
    return read.call(this, dataId, start, end);
  } as typeof backend.readSync;
  const fromHeap = backend.typedArrayFromHeap;
  backend.typedArrayFromHeap = function typedArrayAfterQueue(this: BackendWasm, info: TensorInfo) {
    const writer = writerOf(s, info.dataId);
    if (writer > 0) waitForTicket(s, writer);
    return fromHeap.call(this, info);
  } as typeof backend.typedArrayFromHeap;
  s.restore.push(() => {
    backend.readSync = read;
    backend.typedArrayFromHeap = fromHeap;
  });

  const light = runNowKernels();
  for (const config of getKernelsForBackend('wasm')) {
    const original = config.kernelFunc as unknown as WasmKernelFunc;
    let kernelFunc: WasmKernelFunc;
    if (nativeKernelFuncs.has(config.kernelFunc)) {
      const mayRunNow = light.has(config.kernelName);
      // A native kernel queues its work (or falls back to a stock kernel, which waits).
      kernelFunc = (args) => {
        if (mayRunNow && readyToRunNow(s, args.inputs)) return runNow(s, () => original(args));
        const out = original(args);
        const ticket = native.submitted();
        if (ticket !== s.submitted) recordQueued(s, out, ticket);
        return out;
      };
    } else if (config.kernelName === Relu) {
      kernelFunc = queuedRelu(s, original);
    } else if (config.kernelName === Add) {
      kernelFunc = queuedAdd(s, original);
    } else if (sharesBuffer(config)) {
      continue;
    } else {
      kernelFunc = (args) => {
        waitReason = config.kernelName;
        waitForInputs(args.inputs);
        waitReason = 'other';
        return original(args);
      };
    }
    unregisterKernel(config.kernelName, 'wasm');
    wrapped.set(kernelFunc as unknown as KernelFunc, config.kernelFunc);
    registerKernel({ ...config, kernelFunc: kernelFunc as unknown as KernelFunc });
    s.restore.push(() => {
      unregisterKernel(config.kernelName, 'wasm');
      registerKernel(config);
    });
  }
  state = s;
}

/** Runs what is queued, hands back the held frees and puts every routing back. Idempotent. */
export function disableKernelQueue(): void {
  const s = state;
  if (!s) return;
  waitForTicket(s, s.submitted);
  s.completed = s.submitted;
  releaseDeferredFrees(s);
  state = null;
  for (const undo of s.restore.reverse()) undo();
}

/**
 * Turns the queue off until the returned function is called (data-parallel replicas run their
 * kernels on one thread each, directly).
 */
export function suspendKernelQueue(): () => void {
  const s = state;
  if (!s) return () => undefined;
  disableKernelQueue();
  return () => {
    if (!state) enableKernelQueue(s.backend, s.native, s.nativeKernelFuncs);
  };
}


/**
 * Whether a light kernel may run at once: the option is on, something is queued (else a direct
 * call is what happens anyway) and no kernel still queued writes its inputs, which are small.
 */
function readyToRunNow(s: QueueState, inputs: NamedTensorInfoMap): boolean {
  if (!s.runNow || refreshCompleted(s) >= s.submitted) return false;
  let floats = 0;
  for (const key in inputs) {
    const info = inputs[key];
    if (!info) continue;
    if (writerOf(s, info.dataId) > s.completed) return false;
    floats += util.sizeFromShape(info.shape);
  }
  return floats <= RUN_NOW_MAX_FLOATS;
}

/** How many kernels ran at once beside the queue (for tests and benchmarks). */
export const kernelQueueRanNow = { count: 0 };

/** Runs a native kernel call at once on this thread (the addon's setRunNow), the queue running on. */
function runNow<T>(s: QueueState, call: () => T): T {
  kernelQueueRanNow.count++;
  s.native.setRunNow(true);
  try {
    return call();
  } finally {
    s.native.setRunNow(false);
  }
}

function queuedRelu(s: QueueState, stock: WasmKernelFunc): WasmKernelFunc {
  return (args) => {
    const x = args.inputs['x'] as TensorInfo;
    if (x.dtype !== 'float32') {
      waitForInputs(args.inputs);
      return stock(args);
    }
    const y = args.backend.makeOutput(x.shape, 'float32');
    const relu = () => s.native.relu(nativeView(args.backend, x), nativeView(args.backend, y));
    if (readyToRunNow(s, args.inputs)) runNow(s, relu);
    else recordQueued(s, y, relu() as number);
    return y;
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function queuedAdd(s: QueueState, stock: WasmKernelFunc): WasmKernelFunc {
  return (args) => {
    const a = args.inputs['a'] as TensorInfo;
    const b = args.inputs['b'] as TensorInfo;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !sameShape(a.shape, b.shape)) {
      waitForInputs(args.inputs);
      return stock(args);
    }
    const out = args.backend.makeOutput(a.shape, 'float32');
    const add = () => s.native.add(nativeView(args.backend, a), nativeView(args.backend, b), nativeView(args.backend, out));
    if (readyToRunNow(s, args.inputs)) runNow(s, add);
    else recordQueued(s, out, add() as number);
    return out;
  };
}
