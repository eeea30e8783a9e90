/**
 * Data-parallel training of one run over N replicas: replica 0 is the calling thread's network,
 * replicas 1..N-1 live in worker threads, each with its own tfjs backend and the native kernels at
 * one thread. Every step the caller's batch is split into fixed contiguous shares (the first half
 * and the last half for 2), each replica computes loss and gradients on its share, and all combine
 * them through a GradientExchange into the same Adam update (see Replica for batch norm).
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { loadNativeKernels } from '@leadwise/native-kernels';
import type { LeadwiseModel } from '../architectures/model-factory.ts';
import { nativeKernelsRegistered } from '../backend/wasm-kernels/register.ts';
import { suspendKernelQueue } from '../backend/wasm-kernels/kernel-queue.ts';
import type { BackendName } from '../backend/select-backend.ts';
import type { ModelConfig } from '../types.ts';
import { ExchangeAbortedError, GradientExchange } from './gradient-exchange.ts';
import { Replica, shareRanges, sliceHostBatch, type ReplicaStep } from './data-parallel-replica.ts';
import type { HostBatch } from './sample-batches.ts';
import type { ScheduledAdam } from './scheduled-adam.ts';
import { TrainingError, type BatchPosition, type TrainingLossTerms } from './training-loss.ts';

/** Replicas one run trains on (1: no worker threads, today's single-thread path). */
export const DATA_PARALLEL_ENV_VAR = 'LEADWISE_DATA_PARALLEL';

/** Reads `LEADWISE_DATA_PARALLEL` (or `--data-parallel`); empty means the default. */
export function parseDataParallel(value: string | undefined, name = DATA_PARALLEL_ENV_VAR): number | null {
  if (value === undefined || value.trim() === '') return null;
  const replicas = Number(value.trim());
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new TrainingError(`${name}=${JSON.stringify(value)} is not a whole number of replicas (at least 1)`);
  }
  return replicas;
}

/** What a worker replica starts from (its workerData). */
export interface ReplicaInit {
  replicaModule: string;
  replica: number;
  replicas: number;
  exchangeBuffer: SharedArrayBuffer;
  floatsPerReplica: number;
  backend: BackendName;
  nativeKernels: boolean;
  modelConfig: ModelConfig;
  /** Replica 0's weights, in model.weights order: every replica starts from the same bits. */
  weights: Float32Array[];
  /** Replica 0's Adam state when the run resumes (empty for a fresh optimizer). */
  optimizerWeights: Array<{ name: string; values: Float32Array; shape: number[] }>;
  lossTerms: TrainingLossTerms;
  /** Tests only: the replica throws at this 1-based optimizer step. */
  failAtStep: number | null;
}

export type ReplicaRequest = { type: 'step'; step: ReplicaStep; share: HostBatch | null } | { type: 'weights' };

export type ReplicaReply =
  | { type: 'ready'; replica: number }
  | { type: 'weights'; replica: number; weights: Float32Array[] }
  | { type: 'failed'; replica: number; step: number; message: string };

export interface DataParallelOptions {
  replicas: number;
  /** Tests only: worker replica `replica` throws at 1-based optimizer step `step`. */
  injectFailure?: { replica: number; step: number };
}

const WORKER_ENTRY = new URL('./data-parallel-worker-entry.mjs', import.meta.url);
const REPLICA_MODULE = new URL('./data-parallel-worker.ts', import.meta.url).href;

export class DataParallelGroup {
  private round = 0;
  private closed = false;
  private readonly pendingWeights = new Map<number, (weights: Float32Array[]) => void>();

  private constructor(
    private readonly replica0: Replica,
    private readonly workers: Worker[],
    private readonly exchange: GradientExchange,
    /** Rejects with the first worker failure; never resolves. */
    private readonly failure: Promise<never>,
    private readonly restoreThreads: () => void,
  ) {}

  /**
   * Starts replicas 1..N-1 from replica 0's current weights and optimizer state and waits until
   * they are ready. The native kernels run at one thread in every replica from here to close().
   */
  static async start(
    network: LeadwiseModel,
    optimizer: ScheduledAdam,
    lossTerms: TrainingLossTerms,
    options: DataParallelOptions,
  ): Promise<DataParallelGroup> {
    const backend = tf.getBackend();
    if (backend !== 'wasm' && backend !== 'cpu') {
      throw new TrainingError(`data-parallel training runs on the wasm or cpu backend, not ${backend} (which threads by itself)`);
    }
    const floatsPerReplica = Replica.contributionFloats(network);
    const exchangeBuffer = GradientExchange.allocate(options.replicas, floatsPerReplica);
    const exchange = new GradientExchange(exchangeBuffer, options.replicas, floatsPerReplica);
    // Each replica runs its kernels directly on one thread.
    const resumeQueue = suspendKernelQueue();
    const native = loadNativeKernels();
    const previousThreads = native.loaded ? native.kernels.threads() : 1;
    if (native.loaded) native.kernels.setThreads(1);
    const restoreThreads = () => {
      if (native.loaded) native.kernels.setThreads(previousThreads);
      resumeQueue();
    };

    const weights = network.model.getWeights().map((w) => w.dataSync() as Float32Array);
    const optimizerWeights = optimizer.iterations > 0 ? (await optimizer.getWeights()).map(({ name, tensor }) => ({ name, values: tensor.dataSync() as Float32Array, shape: tensor.shape })) : [];
    const rejecters: Array<(error: Error) => void> = [];
    const failure = new Promise<never>((_, reject) => rejecters.push(reject));
    const rejectFailure = (error: Error) => rejecters[0](error);
    // Observed by whichever wait is pending; this keeps a failure with no wait pending from being "unhandled".
    failure.catch(() => undefined);

    const readyWaits: Promise<void>[] = [];
    const workers: Worker[] = [];
    let group: DataParallelGroup | null = null;
    for (let replica = 1; replica < options.replicas; replica += 1) {
      const init: ReplicaInit = {
        replicaModule: REPLICA_MODULE,
        replica,
        replicas: options.replicas,
        exchangeBuffer,
        floatsPerReplica,
        backend,
        nativeKernels: backend === 'wasm' && nativeKernelsRegistered(),
        modelConfig: network.config,
        weights,
        optimizerWeights,
        lossTerms,
        failAtStep: options.injectFailure?.replica === replica ? options.injectFailure.step : null,
      };
      // execArgv: none of the caller's (a test runner's loader flags would load the replica's module its way).
      const worker = new Worker(WORKER_ENTRY, { workerData: init, env: { ...process.env, LEADWISE_THREADS: '1' }, execArgv: [] });
      workers.push(worker);
      readyWaits.push(
        new Promise<void>((resolve) => {
          worker.on('message', (reply: ReplicaReply) => {
            if (reply.type === 'ready') resolve();
            else if (reply.type === 'weights') group?.pendingWeights.get(reply.replica)?.(reply.weights);
            else rejectFailure(new TrainingError(`data-parallel replica ${reply.replica} failed at step ${reply.step}: ${reply.message}`));
          });
        }),
      );
      worker.on('error', (error) => rejectFailure(new TrainingError(`data-parallel replica ${replica} failed: ${error.message.split('\n')[0]}`)));
      worker.on('exit', (code) => {
        if (!group?.closed) rejectFailure(new TrainingError(`data-parallel replica ${replica} exited (code ${code}) before the run ended`));
      });
    }
    const replica0 = new Replica(0, network, optimizer, exchange, network.config, lossTerms);
    group = new DataParallelGroup(replica0, workers, exchange, failure, restoreThreads);
    try {
      await Promise.race([Promise.all(readyWaits), failure]);
    } catch (error) {
      await group.close();
      throw error;
    }
    return group;
  }

  get replicas(): number {
    return this.exchange.replicas;
  }

  /** One optimizer step on `batch` split across the replicas; returns the share-weighted mean loss. */
  async step(batch: HostBatch, position: BatchPosition & { stepsBefore: number; learningRate: number }): Promise<number> {
    if (this.closed) throw new TrainingError('the data-parallel group is closed');
    const ranges = shareRanges(batch.size, this.replicas);
    const step: ReplicaStep = { ...position, round: this.round, shareSizes: ranges.map(([start, end]) => end - start) };
    this.round += 1;
    this.workers.forEach((worker, i) => {
      const [start, end] = ranges[i + 1];
      const request: ReplicaRequest = { type: 'step', step, share: end > start ? sliceHostBatch(batch, start, end) : null };
      worker.postMessage(request);
    });
    const [start, end] = ranges[0];
    try {
      this.replica0.contribute(step, end > start ? sliceHostBatch(batch, start, end) : null);
      await this.exchange.waitForRoundAsync(step.round, this.failure);
    } catch (error) {
      this.exchange.abort(0);
      // A worker aborted the exchange before replica 0 arrived: its own message says why.
      if (error instanceof ExchangeAbortedError) await this.failure;
      throw error;
    }
    return this.replica0.applyMean(step);
  }

  /** A worker replica's current weights (model.weights order), e.g. to check replicas agree. */
  async replicaWeights(replica: number): Promise<Float32Array[]> {
    if (replica === 0) return this.replica0.network.model.getWeights().map((w) => w.dataSync() as Float32Array);
    const worker = this.workers[replica - 1];
    if (!worker) throw new TrainingError(`there is no replica ${replica} (${this.replicas} replicas)`);
    const weights = new Promise<Float32Array[]>((resolve) => this.pendingWeights.set(replica, resolve));
    const request: ReplicaRequest = { type: 'weights' };
    worker.postMessage(request);
    try {
      return await Promise.race([weights, this.failure]);
    } finally {
      this.pendingWeights.delete(replica);
    }
  }

  /** Stops every worker (waking any that wait in the exchange) and restores the kernels' threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.exchange.abort(0);
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.restoreThreads();
  }
}
