import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig, parseTrainConfig } from '../config.ts';
import { SyntheticSampleSource } from '../testing.ts';
import { loadCheckpoint, MODEL_FILE, readTrainingState, saveCheckpoint } from '../weights/checkpoint-io.ts';
import { createModel } from '../architectures/model-factory.ts';
import { learningRateAt } from './learning-rate-schedule.ts';
import { predictHostBatch } from './predict.ts';
import { loadHostBatch } from './sample-batches.ts';
import { LAST_CHECKPOINT, trainModel } from './trainer.ts';
import { balancedClassWeights } from './weighted-loss.ts';

let scratch: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  scratch = await mkdtemp(join(tmpdir(), 'leadwise-trainer-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const modelConfig = parseModelConfig({ architecture: 'leadgroup', inputHeight: 32, inputWidth: 32, widthMultiplier: 0.0625, seed: 3, dropout: 0.2 });
const source = new SyntheticSampleSource(8, 32, 32);
const validation = new SyntheticSampleSource(6, 32, 32, 2);

async function weightsOf(dir: string): Promise<Float32Array[]> {
  const network = await loadCheckpoint(dir);
  const values = network.model.getWeights().map((w) => w.dataSync() as Float32Array);
  network.model.dispose();
  return values;
}

describe('trainModel', () => {
  it('leaves no tensors behind across training steps, validation and an inference batch', async () => {
    const before = tf.memory().numTensors;
    const result = await trainModel({
      modelConfig,
      trainConfig: parseTrainConfig({ epochs: 1, batchSize: 4, seed: 1 }),
      train: source,
      validation,
      checkpointDir: join(scratch, 'leak'),
    });
    const afterTraining = tf.memory().numTensors;
    const batch = await loadHostBatch(validation, [0, 1, 2], [null, null, null]);
    predictHostBatch(result.network, batch);
    predictHostBatch(result.network, batch);
    expect(tf.memory().numTensors).toBe(afterTraining);
    result.network.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives the same weights for the same seeds, and different ones for another data seed', async () => {
    const run = async (name: string, seed: number) => {
      const result = await trainModel({
        modelConfig,
        trainConfig: parseTrainConfig({ epochs: 1, batchSize: 4, seed }),
        train: source,
        validation,
        checkpointDir: join(scratch, name),
      });
      result.network.model.dispose();
      return weightsOf(join(scratch, name, LAST_CHECKPOINT));
    };
    const [a, b, c] = [await run('seed-a', 7), await run('seed-b', 7), await run('seed-c', 8)];
    expect(a.map((w) => Array.from(w))).toEqual(b.map((w) => Array.from(w)));
    expect(a.some((w, i) => w.some((v, j) => v !== c[i][j]))).toBe(true);
  });

  it('resumes from the last epoch checkpoint to exactly the weights of an uninterrupted run', async () => {
    const trainConfig = parseTrainConfig({ epochs: 2, batchSize: 4, seed: 4, patience: 5 });
    const straight = await trainModel({ modelConfig, trainConfig, train: source, validation, checkpointDir: join(scratch, 'straight') });
    straight.network.model.dispose();
    // Stopped while epoch 2 was being stored (its callback throws, as a killed worker never stores
    // it): the resume point is still epoch 1, so the resumed run trains epoch 2 again and stores it.
    let epochsSeen = 0;
    await expect(
      trainModel({
        modelConfig,
        trainConfig,
        train: source,
        validation,
        checkpointDir: join(scratch, 'resumed'),
        callbacks: {
          onEpochEnd: () => {
            epochsSeen++;
            if (epochsSeen === 2) throw new Error('interrupted');
          },
        },
      }),
    ).rejects.toThrow('interrupted');
    const stored: number[] = [];
    const resumed = await trainModel({
      modelConfig,
      trainConfig,
      train: source,
      validation,
      checkpointDir: join(scratch, 'resumed'),
      resume: true,
      callbacks: { onEpochEnd: (metrics) => void stored.push(metrics.epoch) },
    });
    expect(resumed.resumedFromEpoch).toBe(1);
    expect(stored).toEqual([2]);
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2]);
    resumed.network.model.dispose();
    const [a, b] = [await weightsOf(join(scratch, 'straight', LAST_CHECKPOINT)), await weightsOf(join(scratch, 'resumed', LAST_CHECKPOINT))];
    expect(a.map((w) => Array.from(w))).toEqual(b.map((w) => Array.from(w)));
  });

  it('lowers the training loss on a learnable task', async () => {
    const result = await trainModel({
      modelConfig: parseModelConfig({ architecture: 'resnet18', inputHeight: 32, inputWidth: 32, widthMultiplier: 0.0625, seed: 1 }),
      trainConfig: parseTrainConfig({ epochs: 3, batchSize: 8, seed: 1, learningRate: 3e-3, warmupFraction: 0, patience: 5 }),
      train: new SyntheticSampleSource(16, 32, 32),
      validation: new SyntheticSampleSource(8, 32, 32, 5),
      checkpointDir: join(scratch, 'learn'),
    });
    expect(result.history).toHaveLength(3);
    expect(result.history[2].trainLoss).toBeLessThan(result.history[0].trainLoss);
    result.network.model.dispose();
  });
});

describe('checkpoints', () => {
  it('round-trip: a loaded checkpoint predicts exactly what the saved network did', async () => {
    const network = createModel(modelConfig);
    const batch = await loadHostBatch(validation, [0, 1], [null, null]);
    const before = predictHostBatch(network, batch);
    await saveCheckpoint(network, join(scratch, 'roundtrip'));
    const loaded = await loadCheckpoint(join(scratch, 'roundtrip'));
    const after = predictHostBatch(loaded, batch);
    expect(Array.from(after.probabilities)).toEqual(Array.from(before.probabilities));
    expect(Array.from(after.groupAttention!)).toEqual(Array.from(before.groupAttention!));
    network.model.dispose();
    loaded.model.dispose();
  });

  it('replaces a checkpoint without ever leaving none: a kill between its renames keeps the previous one', async () => {
    const network = createModel(modelConfig);
    const parent = join(scratch, 'replace');
    const dir = join(parent, 'last');
    await saveCheckpoint(network, dir, { trainingState: { epoch: 1 } });
    await saveCheckpoint(network, dir, { trainingState: { epoch: 2 } });
    expect(await readdir(parent)).toEqual(['last']);
    expect(await readTrainingState<{ epoch: number }>(dir)).toEqual({ epoch: 2 });
    // A worker killed after setting epoch 2 aside, before renaming epoch 3 in:
    await rename(dir, `${dir}.previous-4242`);
    expect(await readTrainingState<{ epoch: number }>(dir)).toEqual({ epoch: 2 });
    const loaded = await loadCheckpoint(dir);
    expect(await readdir(parent)).toEqual(['last']);
    network.model.dispose();
    loaded.model.dispose();
  });

  it('loads a checkpoint written before the head and rhythm-strip options as the 12-box paper LeadGroupECG it was', async () => {
    const legacyConfig = { ...modelConfig, leadGroupHead: 'paper' as const, rhythmStrip: false };
    const network = createModel(legacyConfig);
    expect(network.leadBoxCount).toBe(12);
    const dir = join(scratch, 'legacy');
    await saveCheckpoint(network, dir);
    // Remove the keys, as in a model.json saved by the earlier code.
    const modelJson = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8'));
    delete modelJson.userDefinedMetadata.leadwise.modelConfig.rhythmStrip;
    delete modelJson.userDefinedMetadata.leadwise.modelConfig.leadGroupHead;
    await writeFile(join(dir, MODEL_FILE), JSON.stringify(modelJson));
    const loaded = await loadCheckpoint(dir);
    expect(loaded.config.leadGroupHead).toBe('paper');
    expect(loaded.config.rhythmStrip).toBe(false);
    expect(loaded.leadBoxCount).toBe(12);
    // The batch carries 13 boxes; a 12-box model takes the panels only, as before.
    const batch = await loadHostBatch(validation, [0, 1], [null, null]);
    expect(Array.from(predictHostBatch(loaded, batch).probabilities)).toEqual(Array.from(predictHostBatch(network, batch).probabilities));
    network.model.dispose();
    loaded.model.dispose();
  });

  it('round-trips the paper head with the rhythm strip (the head is stored, not re-defaulted)', async () => {
    const paperConfig = { ...modelConfig, leadGroupHead: 'paper' as const, rhythmStrip: true };
    const network = createModel(paperConfig);
    const dir = join(scratch, 'paper');
    await saveCheckpoint(network, dir);
    const loaded = await loadCheckpoint(dir);
    expect(loaded.config).toEqual(paperConfig);
    const batch = await loadHostBatch(validation, [0, 1], [null, null]);
    expect(Array.from(predictHostBatch(loaded, batch).groupAttention!)).toEqual(Array.from(predictHostBatch(network, batch).groupAttention!));
    network.model.dispose();
    loaded.model.dispose();
  });
});

describe('schedule and loss weights', () => {
  it('warms up linearly, peaks, and decays by half a cosine to the floor', () => {
    const schedule = { peakLearningRate: 1, totalSteps: 11, warmupSteps: 2, finalFraction: 0.1 };
    expect(learningRateAt(schedule, 0)).toBeCloseTo(0.5);
    expect(learningRateAt(schedule, 1)).toBeCloseTo(1);
    expect(learningRateAt(schedule, 2)).toBeCloseTo(1);
    // Halfway through the 8 decay steps: floor + (peak - floor) * 0.5 * (1 + cos(pi/2)) = 0.55.
    expect(learningRateAt(schedule, 6)).toBeCloseTo(0.55);
    expect(learningRateAt(schedule, 10)).toBeCloseTo(0.1);
  });

  it('weighs classes N / (2 N_c): 1 abnormal in 4 gives weights 2/3 and 2', () => {
    expect(balancedClassWeights([0, 0, 0, 1])).toEqual({ normal: 4 / 6, abnormal: 2 });
  });
});
