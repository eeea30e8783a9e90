import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createModel, type LeadwiseModel } from '../architectures/model-factory.ts';
import { parseStoredModelConfig } from '../config.ts';
import type { ModelConfig } from '../types.ts';

/**
 * A checkpoint is a directory:
 * - `model.json`: the tfjs LayersModel artifacts (topology + weightsManifest pointing to
 *   `weights.bin`), loadable with `tf.loadLayersModel` once this library is imported (it registers
 *   the custom layers); `userDefinedMetadata.leadwise` holds the ModelConfig.
 * - `weights.bin`: float32 weights, little-endian, in manifest order.
 * - optionally `optimizer.json` + `optimizer.bin`: Adam's step and moments, for `--resume`.
 * - optionally `training-state.json`: whatever the trainer needs to resume (epoch, history...).
 */
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const OPTIMIZER_FILE = 'optimizer.json';
export const OPTIMIZER_WEIGHTS_FILE = 'optimizer.bin';
export const TRAINING_STATE_FILE = 'training-state.json';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

interface ModelJson {
  format: string;
  generatedBy: string;
  convertedBy: string | null;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  userDefinedMetadata: { leadwise: { modelConfig: ModelConfig } };
}

function toBuffer(data: tf.io.WeightData): Buffer {
  const buffers = Array.isArray(data) ? data : [data];
  return Buffer.concat(buffers.map((b) => Buffer.from(b)));
}

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

export interface SaveCheckpointOptions {
  optimizer?: tf.Optimizer;
  trainingState?: unknown;
}

/**
 * Writes a checkpoint into `dir` so that a kill at any point leaves a complete checkpoint: the new one
 * is written into a sibling temp directory, the old one renamed aside, the new one renamed in, and
 * only then is the old one deleted. A kill between the two renames leaves the old one aside, where
 * `recoverCheckpoint` (run by every reader) puts it back.
 */
export async function saveCheckpoint(network: LeadwiseModel, dir: string, options: SaveCheckpointOptions = {}): Promise<void> {
  recoverCheckpoint(dir);
  const tmpDir = `${dir}.tmp-${process.pid}`;
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  let artifacts: tf.io.ModelArtifacts | null = null;
  await network.model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const saved = artifacts as tf.io.ModelArtifacts | null;
  if (!saved?.weightData || !saved.weightSpecs) throw new CheckpointError(`model ${network.model.name} produced no weights to save`);
  const modelJson: ModelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: saved.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: saved.weightSpecs }],
    userDefinedMetadata: { leadwise: { modelConfig: network.config } },
  };
  await writeFile(join(tmpDir, MODEL_FILE), JSON.stringify(modelJson));
  await writeFile(join(tmpDir, WEIGHTS_FILE), toBuffer(saved.weightData));
  if (options.optimizer) {
    const named = await options.optimizer.getWeights();
    const { data, specs } = await tf.io.encodeWeights(named);
    // getWeights returns the moment variables themselves plus a fresh step-count scalar: free only that.
    tf.dispose(named.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
    await writeFile(join(tmpDir, OPTIMIZER_FILE), JSON.stringify({ className: options.optimizer.getClassName(), weights: specs }));
    await writeFile(join(tmpDir, OPTIMIZER_WEIGHTS_FILE), Buffer.from(data));
  }
  if (options.trainingState !== undefined) {
    await writeFile(join(tmpDir, TRAINING_STATE_FILE), JSON.stringify(options.trainingState, null, 2));
  }
  const asideDir = `${dir}${ASIDE_SUFFIX}${process.pid}`;
  await rm(asideDir, { recursive: true, force: true });
  const hadPrevious = existsSync(dir);
  if (hadPrevious) await rename(dir, asideDir);
  await rename(tmpDir, dir);
  if (hadPrevious) await rm(asideDir, { recursive: true, force: true });
}

const ASIDE_SUFFIX = '.previous-';

/**
 * Completes a replace that a kill interrupted between its two renames: when `dir` is missing and a
 * previous checkpoint was set aside, it is renamed back. Returns whether `dir` exists afterwards.
 */
export function recoverCheckpoint(dir: string): boolean {
  if (existsSync(dir)) return true;
  const parent = dirname(dir);
  if (!existsSync(parent)) return false;
  const prefix = `${basename(dir)}${ASIDE_SUFFIX}`;
  const newest = readdirSync(parent)
    .filter((name) => name.startsWith(prefix))
    .sort()
    .at(-1);
  if (newest === undefined) return false;
  renameSync(join(parent, newest), dir);
  return true;
}

async function readJson<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CheckpointError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new CheckpointError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The ModelConfig stored in a checkpoint, without loading weights. */
export async function readCheckpointConfig(dir: string): Promise<ModelConfig> {
  recoverCheckpoint(dir);
  const modelJson = await readJson<ModelJson>(join(dir, MODEL_FILE));
  // Configs written before the head choice lack it (and maybe rhythmStrip): they load as the 12-box paper head.
  return parseStoredModelConfig(modelJson.userDefinedMetadata?.leadwise?.modelConfig, `${join(dir, MODEL_FILE)} userDefinedMetadata.leadwise.modelConfig`);
}

/**
 * Builds the network from the checkpoint's config and assigns its weights by name, so a
 * checkpoint loads into a fresh process or beside other models. Throws naming any missing weight or
 * shape mismatch.
 */
export async function loadCheckpoint(dir: string): Promise<LeadwiseModel> {
  recoverCheckpoint(dir);
  const modelPath = join(dir, MODEL_FILE);
  const modelJson = await readJson<ModelJson>(modelPath);
  const config = await readCheckpointConfig(dir);
  const specs = modelJson.weightsManifest.flatMap((group) => group.weights);
  const weightsPath = join(dir, WEIGHTS_FILE);
  let buffer: Buffer;
  try {
    buffer = await readFile(weightsPath);
  } catch (error) {
    throw new CheckpointError(`cannot read ${weightsPath}: ${(error as Error).message}`);
  }
  const network = createModel(config);
  const named = tf.io.decodeWeights(toArrayBuffer(buffer), specs);
  try {
    const values = network.model.weights.map((weight) => {
      const value = named[weight.originalName];
      if (!value) throw new CheckpointError(`${modelPath} has no weight ${weight.originalName}`);
      if (value.shape.join('x') !== weight.shape.join('x')) {
        throw new CheckpointError(`${modelPath} weight ${weight.originalName} has shape ${value.shape}, model expects ${weight.shape}`);
      }
      return value;
    });
    network.model.setWeights(values);
  } catch (error) {
    network.model.dispose();
    throw error;
  } finally {
    tf.dispose(Object.values(named));
  }
  return network;
}

/** Restores Adam's state saved by saveCheckpoint (the optimizer must belong to the same model). */
export async function loadOptimizerState(dir: string, optimizer: tf.Optimizer): Promise<boolean> {
  const path = join(dir, OPTIMIZER_FILE);
  if (!existsSync(path)) return false;
  const meta = await readJson<{ weights: tf.io.WeightsManifestEntry[] }>(path);
  const buffer = await readFile(join(dir, OPTIMIZER_WEIGHTS_FILE));
  const named = tf.io.decodeWeights(toArrayBuffer(buffer), meta.weights);
  // Optimizer.setWeights matches by order (iterations first, then the moments), as getWeights wrote them.
  await optimizer.setWeights(meta.weights.map((spec) => ({ name: spec.name, tensor: named[spec.name] })));
  // setWeights made variables of these values (sharing their data by reference count).
  tf.dispose(Object.values(named));
  return true;
}

export async function readTrainingState<T>(dir: string): Promise<T | null> {
  recoverCheckpoint(dir);
  const path = join(dir, TRAINING_STATE_FILE);
  if (!existsSync(path)) return null;
  return readJson<T>(path);
}
