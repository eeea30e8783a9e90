import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RunStore, type LeadwiseDatabase } from '@leadwise/db';
import { exportOnnx, loadCheckpoint, ONNX_OPSET, readOnnxModelInfo, validateOnnxModel } from '@leadwise/models';
import type { PageGridStyle } from '@leadwise/render';

export class OnnxRunExportError extends Error {
  override name = 'OnnxRunExportError';
}

export interface RunOnnxModel {
  runId: number;
  bytes: Uint8Array;
  architecture: string;
  backbone: string;
  gridStyle: PageGridStyle;
}

/**
 * Exports a train run's checkpoint (the best one, as stored on the run) to ONNX in memory, with the
 * run id and its page grid style in the metadata; the result passes structural validation.
 */
export async function exportRunToOnnx(db: LeadwiseDatabase, runId: number): Promise<RunOnnxModel> {
  const store = new RunStore(db);
  const run = await store.getById(runId);
  if (!run) throw new OnnxRunExportError(`run ${runId} does not exist`);
  if (run.kind !== 'train') throw new OnnxRunExportError(`run ${runId} is a ${run.kind} run, not a train run`);
  if (!run.checkpointUri) throw new OnnxRunExportError(`run ${runId} has no checkpoint (status ${run.status})`);
  const params = await store.getParams(runId);
  const gridStyle = params.grid_style === 'none' ? 'none' : 'red';
  const network = await loadCheckpoint(fileURLToPath(run.checkpointUri));
  try {
    const bytes = exportOnnx(network, { trainingRunId: runId, gridStyle });
    validateOnnxModel(bytes, `ONNX export of run ${runId}`);
    return { runId, bytes, architecture: network.config.architecture, backbone: network.config.backbone, gridStyle };
  } finally {
    network.model.dispose();
  }
}

export interface WriteRunOnnxResult {
  runId: number;
  path: string;
  sizeBytes: number;
  sha256: string;
  opset: number;
  architecture: string;
  backbone: string;
  inputs: string[];
  outputs: string[];
}

/**
 * Writes a run's ONNX export to `outPath` (atomically) and records it as the run's `onnx/model.onnx`
 * artifact (re-pointed on a second export), so that the run knows where its portable model is.
 */
export async function writeRunOnnx(db: LeadwiseDatabase, runId: number, outPath: string): Promise<WriteRunOnnxResult> {
  const exported = await exportRunToOnnx(db, runId);
  const path = resolve(outPath);
  const tmpPath = `${path}.tmp-${process.pid}`;
  await writeFile(tmpPath, exported.bytes);
  await rename(tmpPath, path);
  const sha256 = createHash('sha256').update(exported.bytes).digest('hex');
  await new RunStore(db).addArtifact({ runId, path: 'onnx/model.onnx', kind: 'onnx-model', uri: pathToFileURL(path).href, sha256, sizeBytes: exported.bytes.length });
  const info = readOnnxModelInfo(exported.bytes, path);
  return {
    runId,
    path,
    sizeBytes: exported.bytes.length,
    sha256,
    opset: ONNX_OPSET,
    architecture: exported.architecture,
    backbone: exported.backbone,
    inputs: info.inputNames,
    outputs: info.outputNames,
  };
}
