import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../architectures/model-factory.ts';
import { parseModelConfig, parseTrainConfig } from '../config.ts';
import { SyntheticSampleSource } from '../testing.ts';
import { loadCheckpoint } from '../weights/checkpoint-io.ts';
import { DataParallelGroup, parseDataParallel } from './data-parallel.ts';
import { shareRanges } from './data-parallel-replica.ts';
import { ExchangeAbortedError, GradientExchange } from './gradient-exchange.ts';
import { loadHostBatch } from './sample-batches.ts';
import { ScheduledAdam } from './scheduled-adam.ts';
import { LAST_CHECKPOINT, trainModel } from './trainer.ts';

let scratch: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  scratch = await mkdtemp(join(tmpdir(), 'leadwise-data-parallel-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

// LeadGroupECG with dropout: batch norm and dropout masks both differ between the replicas' shares.
const modelConfig = parseModelConfig({ architecture: 'leadgroup', inputHeight: 32, inputWidth: 32, widthMultiplier: 0.0625, seed: 3, dropout: 0.2 });
const source = new SyntheticSampleSource(12, 32, 32);
const validation = new SyntheticSampleSource(6, 32, 32, 2);
const lossTerms = { classWeights: { normal: 1, abnormal: 1 }, groupTargetWeight: 0.3 };

async function lastWeights(dir: string): Promise<number[][]> {
  const network = await loadCheckpoint(join(dir, LAST_CHECKPOINT));
  const values = network.model.getWeights().map((w) => Array.from(w.dataSync()));
  network.model.dispose();
  return values;
}

describe('GradientExchange', () => {
  it('reduces every slot in replica order with the share weights, in alternating banks', () => {
    const exchange = new GradientExchange(GradientExchange.allocate(2, 3), 2, 3);
    exchange.slot(0, 0).set([1, 2, 3]);
    exchange.slot(0, 1).set([3, 6, -3]);
    exchange.slot(1, 0).set([10, 10, 10]);
    exchange.slot(1, 1).set([20, 20, 20]);
    const out = new Float32Array(3);
    exchange.reduce(0, [0.5, 0.5], out);
    expect(Array.from(out)).toEqual([2, 4, 0]);
    // 12 samples split 9 / 3: weights 0.75 and 0.25.
    exchange.reduce(1, [0.75, 0.25], out);
    expect(Array.from(out)).toEqual([12.5, 12.5, 12.5]);
  });

  it('counts arrivals per round and, once aborted, makes arriving and waiting throw instead of blocking', () => {
    const exchange = new GradientExchange(GradientExchange.allocate(2, 1), 2, 1);
    exchange.arrive();
    exchange.arrive();
    exchange.waitForRound(0);
    exchange.arrive();
    exchange.abort(1);
    expect(() => exchange.waitForRound(1)).toThrow(ExchangeAbortedError);
    expect(() => exchange.arrive()).toThrow(/aborted by replica 1/);
  });

  it('splits a batch into fixed contiguous shares, the first half and the last half for two replicas', () => {
    expect(shareRanges(32, 2)).toEqual([
      [0, 16],
      [16, 32],
    ]);
    expect(shareRanges(5, 2)).toEqual([
      [0, 2],
      [2, 5],
    ]);
    expect(shareRanges(1, 2)).toEqual([
      [0, 0],
      [0, 1],
    ]);
  });

  it('reads LEADWISE_DATA_PARALLEL, rejecting what is not a whole number of replicas', () => {
    expect(parseDataParallel(undefined)).toBeNull();
    expect(parseDataParallel('2')).toBe(2);
    expect(() => parseDataParallel('0')).toThrow(/LEADWISE_DATA_PARALLEL="0" is not a whole number of replicas/);
    expect(() => parseDataParallel('two', '--data-parallel')).toThrow(/--data-parallel="two"/);
  });
});

describe('data-parallel training over worker threads', () => {
  it('keeps both replicas bit-identical step after step, and they do train', async () => {
    const network = createModel(modelConfig);
    const initial = network.model.getWeights().map((w) => Array.from(w.dataSync()));
    const optimizer = new ScheduledAdam(1e-2);
    const group = await DataParallelGroup.start(network, optimizer, lossTerms, { replicas: 2 });
    try {
      expect((await group.replicaWeights(1)).map((w) => Array.from(w))).toEqual(initial);
      const losses: number[] = [];
      for (let step = 0; step < 3; step += 1) {
        // 5 samples: shares of 2 and 3, so the reduction's weights are not one half each.
        const indices = [0, 1, 2, 3, 4].map((i) => (i + step * 5) % source.size);
        const batch = await loadHostBatch(source, indices, indices.map((i) => 100 + i));
        losses.push(await group.step(batch, { epoch: 0, batchIndex: step, stepsBefore: step, learningRate: 1e-2 }));
      }
      expect(losses.every(Number.isFinite)).toBe(true);
      const replica0 = (await group.replicaWeights(0)).map((w) => Array.from(w));
      const replica1 = (await group.replicaWeights(1)).map((w) => Array.from(w));
      expect(replica1).toEqual(replica0);
      expect(replica0).not.toEqual(initial);
    } finally {
      await group.close();
      optimizer.dispose();
      network.model.dispose();
    }
  }, 180_000);

  it('gives the same weights for the same seed and replica count, and checkpoints replica 0 in the usual format', async () => {
    const trainConfig = parseTrainConfig({ epochs: 2, batchSize: 4, seed: 7 });
    const run = async (name: string) => {
      const result = await trainModel({ modelConfig, trainConfig, train: source, validation, checkpointDir: join(scratch, name), dataParallel: { replicas: 2 } });
      expect(result.dataParallelReplicas).toBe(2);
      expect(result.history).toHaveLength(2);
      expect(result.history.every((epoch) => Number.isFinite(epoch.trainLoss) && Number.isFinite(epoch.valRocAuc))).toBe(true);
      result.network.model.dispose();
      return lastWeights(join(scratch, name));
    };
    const [a, b] = [await run('same-a'), await run('same-b')];
    expect(b).toEqual(a);
  }, 300_000);

  it('resumes from the last checkpoint to the weights of an uninterrupted run (workers start from its Adam state)', async () => {
    const trainConfig = parseTrainConfig({ epochs: 2, batchSize: 4, seed: 4, patience: 5 });
    const dataParallel = { replicas: 2 };
    const straight = await trainModel({ modelConfig, trainConfig, train: source, validation, checkpointDir: join(scratch, 'dp-straight'), dataParallel });
    straight.network.model.dispose();
    await expect(
      trainModel({
        modelConfig,
        trainConfig,
        train: source,
        validation,
        checkpointDir: join(scratch, 'dp-resumed'),
        dataParallel,
        callbacks: {
          // Stopped while epoch 2 is stored: the resume point is still epoch 1.
          onEpochEnd: (metrics) => {
            if (metrics.epoch === 2) throw new Error('interrupted');
          },
        },
      }),
    ).rejects.toThrow('interrupted');
    const resumed = await trainModel({ modelConfig, trainConfig, train: source, validation, checkpointDir: join(scratch, 'dp-resumed'), dataParallel, resume: true });
    expect(resumed.resumedFromEpoch).toBe(1);
    resumed.network.model.dispose();
    expect(await lastWeights(join(scratch, 'dp-resumed'))).toEqual(await lastWeights(join(scratch, 'dp-straight')));
  }, 300_000);

  it('ends the run with one clear error when a worker replica throws, and leaves no thread behind', async () => {
    // OS threads of this process (Linux): a worker thread left running would keep its own.
    const threads = () => readdirSync('/proc/self/task').length;
    const before = threads();
    await expect(
      trainModel({
        modelConfig,
        trainConfig: parseTrainConfig({ epochs: 1, batchSize: 4, seed: 7 }),
        train: source,
        validation,
        checkpointDir: join(scratch, 'failing'),
        dataParallel: { replicas: 2, injectFailure: { replica: 1, step: 2 } },
      }),
    ).rejects.toThrow(/^data-parallel replica 1 failed at step 2: injected failure at step 2$/);
    expect(threads()).toBeLessThanOrEqual(before);
  }, 180_000);
});
