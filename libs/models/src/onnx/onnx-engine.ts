import { readFile } from 'node:fs/promises';
import type * as ort from 'onnxruntime-node';
import { BOX_COUNT, GROUP_COUNT, INPUT_IMAGE, INPUT_LEAD_BOXES, OUTPUT_GROUP_ATTENTION, OUTPUT_PROBABILITY } from '../constants.ts';
import type { Predictions } from '../training/predict.ts';
import { loadHostBatch, selectLeadBoxes, type HostBatch } from '../training/sample-batches.ts';
import type { SampleSource } from '../types.ts';
import { OnnxModelError, readOnnxModelInfo, type OnnxModelInfo } from './onnx-metadata.ts';

export interface OnnxEngineOptions {
  /** Threads one batch's operators may use (ONNX Runtime intra-op pool); default 2, this machine's core count. */
  intraOpThreads?: number;
}

export const DEFAULT_INTRA_OP_THREADS = 2;

/**
 * Batch inference of an exported Leadwise model in onnxruntime-node. Takes the same host buffers as
 * the tfjs path (images NHWC float32 0 = paper 1 = ink, lead boxes [B,12,4]) and returns the same
 * shapes as `predictHostBatch` / `predictSource`.
 */
export class OnnxEngine {
  private constructor(
    private readonly runtime: typeof ort,
    private readonly session: ort.InferenceSession,
    readonly info: OnnxModelInfo,
    readonly intraOpThreads: number,
  ) {}

  /** Loads a model from its bytes or a file path. */
  static async load(model: Uint8Array | string, options: OnnxEngineOptions = {}): Promise<OnnxEngine> {
    const source = typeof model === 'string' ? model : 'ONNX model bytes';
    let bytes: Uint8Array;
    if (typeof model === 'string') {
      try {
        bytes = await readFile(model);
      } catch (error) {
        throw new OnnxModelError(`cannot read ${model}: ${(error as Error).message}`);
      }
    } else {
      bytes = model;
    }
    const info = readOnnxModelInfo(bytes, source);
    const intraOpThreads = options.intraOpThreads ?? DEFAULT_INTRA_OP_THREADS;
    if (!Number.isInteger(intraOpThreads) || intraOpThreads < 1) throw new OnnxModelError(`intraOpThreads must be a positive integer, got ${intraOpThreads}`);
    // Imported on first use: every importer of @leadwise/models (trainers, workers) would otherwise
    // load the native runtime.
    const runtime = await import('onnxruntime-node');
    let session: ort.InferenceSession;
    try {
      session = await runtime.InferenceSession.create(bytes, {
        intraOpNumThreads: intraOpThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
    } catch (error) {
      throw new OnnxModelError(`onnxruntime cannot load ${source}: ${(error as Error).message}`);
    }
    return new OnnxEngine(runtime, session, info, intraOpThreads);
  }

  get usesLeadBoxes(): boolean {
    return this.info.usesLeadBoxes;
  }

  get hasGroupAttention(): boolean {
    return this.info.hasGroupAttention;
  }

  /** P(abnormal) and (LeadGroupECG) group attention [size * 5] for one host batch. */
  async predictBatch(batch: Pick<HostBatch, 'size' | 'images' | 'leadBoxes'>): Promise<{ probabilities: Float32Array; groupAttention: Float32Array | null }> {
    const { inputHeight, inputWidth, channels } = this.info.modelConfig;
    const expected = batch.size * inputHeight * inputWidth * channels;
    if (batch.images.length !== expected) {
      throw new OnnxModelError(`batch of ${batch.size} images has ${batch.images.length} values, expected ${batch.size}x${inputHeight}x${inputWidth}x${channels}`);
    }
    const feeds: Record<string, ort.Tensor> = {
      [INPUT_IMAGE]: new this.runtime.Tensor('float32', batch.images, [batch.size, inputHeight, inputWidth, channels]),
    };
    if (this.usesLeadBoxes) {
      if (batch.leadBoxes.length !== batch.size * BOX_COUNT * 4) {
        throw new OnnxModelError(`batch of ${batch.size} has ${batch.leadBoxes.length} lead-box values, expected ${batch.size}x${BOX_COUNT}x4`);
      }
      const boxes = this.info.leadBoxCount;
      feeds[INPUT_LEAD_BOXES] = new this.runtime.Tensor('float32', selectLeadBoxes(batch.leadBoxes, batch.size, boxes), [batch.size, boxes, 4]);
    }
    const results = await this.session.run(feeds);
    try {
      const probabilities = Float32Array.from(results[OUTPUT_PROBABILITY].data as Float32Array);
      const groupAttention = this.hasGroupAttention ? Float32Array.from(results[OUTPUT_GROUP_ATTENTION].data as Float32Array) : null;
      return { probabilities, groupAttention };
    } finally {
      for (const tensor of Object.values(results)) tensor.dispose();
    }
  }

  /** Runs the model over a whole source without augmentation (what `predictSource` does with tfjs). */
  async predictSource(source: SampleSource, batchSize: number, onProgress?: (done: number, total: number) => void): Promise<Predictions> {
    const { inputHeight, inputWidth, channels } = this.info.modelConfig;
    if (source.inputHeight !== inputHeight || source.inputWidth !== inputWidth || source.channels !== channels) {
      throw new OnnxModelError(
        `source gives ${source.inputHeight}x${source.inputWidth}x${source.channels} images, the model takes ${inputHeight}x${inputWidth}x${channels}`,
      );
    }
    const probabilities = new Float32Array(source.size);
    const labels = new Float32Array(source.size);
    const groupAttention = this.hasGroupAttention ? new Float32Array(source.size * GROUP_COUNT) : null;
    for (let start = 0; start < source.size; start += batchSize) {
      const indices = Array.from({ length: Math.min(batchSize, source.size - start) }, (_, i) => start + i);
      const batch = await loadHostBatch(source, indices, indices.map(() => null));
      const result = await this.predictBatch(batch);
      probabilities.set(result.probabilities, start);
      labels.set(batch.labels, start);
      if (groupAttention && result.groupAttention) groupAttention.set(result.groupAttention, start * GROUP_COUNT);
      onProgress?.(start + indices.length, source.size);
    }
    return { probabilities, labels, groupAttention };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
