/**
 * A data-parallel replica r > 0 in its worker thread (see data-parallel.ts): its own tfjs backend
 * and network, fed its share of each batch by the main thread's messages, combining gradients with
 * the other replicas through the exchange. Any error aborts the exchange (so no replica stays
 * blocked) and is posted to the main thread, which ends the run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend/select-backend.ts';
import { createModel } from '../architectures/model-factory.ts';
import { GradientExchange } from './gradient-exchange.ts';
import { Replica } from './data-parallel-replica.ts';
import { ScheduledAdam } from './scheduled-adam.ts';
import type { ReplicaInit, ReplicaReply, ReplicaRequest } from './data-parallel.ts';

const port = parentPort;
if (!port) throw new Error('data-parallel-worker.ts runs only as a worker thread');
const init = workerData as ReplicaInit;
const exchange = new GradientExchange(init.exchangeBuffer, init.replicas, init.floatsPerReplica);
let replica: Replica | null = null;
let currentStep = 0;

const reply = (message: ReplicaReply) => port.postMessage(message);

async function start(): Promise<Replica> {
  // The main thread has announced this backend already.
  await selectBackend({ prefer: init.backend, nativeKernels: init.nativeKernels, log: () => undefined });
  const network = createModel(init.modelConfig);
  network.model.setWeights(init.weights.map((values, i) => tf.tensor(values, network.model.weights[i].shape as number[], 'float32')));
  const optimizer = new ScheduledAdam(0);
  if (init.optimizerWeights.length > 0) {
    await optimizer.setWeights(init.optimizerWeights.map(({ name, values, shape }) => ({ name, tensor: tf.tensor(values, shape, 'float32') })));
  }
  return new Replica(init.replica, network, optimizer, exchange, init.modelConfig, init.lossTerms);
}

function fail(error: unknown): void {
  exchange.abort(init.replica);
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  reply({ type: 'failed', replica: init.replica, step: currentStep, message });
}

start().then(
  (ready) => {
    replica = ready;
    reply({ type: 'ready', replica: init.replica });
  },
  fail,
);

port.on('message', (request: ReplicaRequest) => {
  try {
    if (!replica) throw new Error('a step arrived before the replica was ready');
    if (request.type === 'weights') {
      reply({ type: 'weights', replica: init.replica, weights: replica.network.model.getWeights().map((w) => w.dataSync() as Float32Array) });
      return;
    }
    currentStep = request.step.stepsBefore + 1;
    if (init.failAtStep === currentStep) throw new Error(`injected failure at step ${currentStep}`);
    replica.contribute(request.step, request.share);
    exchange.waitForRound(request.step.round);
    replica.applyMean(request.step);
  } catch (error) {
    fail(error);
  }
});
