import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentStore, RunStore } from '@leadwise/db';
import { openTestDatabase, type TestDatabase } from '@leadwise/db/testing';
import { consistentTwelveLeadAdu, encodeFormat16Record } from '@leadwise/ecg/testing';
import { createModel, findOnnxProblems, loadCheckpoint, OnnxEngine, parseModelConfig, predictSource, saveCheckpoint } from '@leadwise/models';
import { renderRecordFile } from '../render/render-record-files.ts';
import { RecordSampleSource } from '../training/record-sample-source.ts';
import { exportRunToOnnx, OnnxRunExportError, writeRunOnnx } from './export-run-onnx.ts';
import { PredictionInputError, PredictionInputSource, predictFiles } from './prediction-inputs.ts';

// A real checkpoint on disk, a real run row (PGlite), real WFDB files read by the real reader and a
// real PNG page from the real renderer; the reference is the tfjs model on RecordSampleSource, the
// preprocessing training and evaluation use.

let workDir: string;
let handle: TestDatabase;
let runId: number;
let headerPath: string;
let pngPath: string;
let checkpointDir: string;
const config = parseModelConfig({ architecture: 'leadgroup', inputHeight: 64, inputWidth: 96, widthMultiplier: 0.25, seed: 4 });

beforeAll(async () => {
  await tf.setBackend('cpu');
  workDir = mkdtempSync(join(tmpdir(), 'leadwise-onnx-run-'));
  const leads = consistentTwelveLeadAdu(1000);
  for (let t = 0; t < 1000; t++) leads[7][t] += 800;
  const { header, dat, datName } = encodeFormat16Record({ recordName: 'rec1', leadsAdu: leads });
  headerPath = join(workDir, 'rec1.hea');
  writeFileSync(headerPath, header);
  writeFileSync(join(workDir, datName), dat);
  pngPath = join(workDir, 'rec1.png');
  await renderRecordFile(headerPath, pngPath, { gridStyle: 'none', dpi: 100 });

  const network = createModel(config);
  checkpointDir = join(workDir, 'checkpoint');
  await saveCheckpoint(network, checkpointDir);
  network.model.dispose();

  handle = await openTestDatabase('pglite');
  const { experiment } = await new ExperimentStore(handle.db).createOrGet({ name: 'onnx', config: {}, configHash: 'onnx' });
  const store = new RunStore(handle.db);
  const run = await store.create({ experimentId: experiment.id, kind: 'train', model: 'leadgroup', status: 'finished', checkpointUri: pathToFileURL(checkpointDir).href });
  await store.logParams(run.id, { grid_style: 'none' });
  runId = run.id;
});

afterAll(async () => {
  await handle?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('ONNX export of a run and prediction on files', () => {
  it('writes a valid model with the run id and grid style, and records it as an artifact', async () => {
    const outPath = join(workDir, 'model.onnx');
    const result = await writeRunOnnx(handle.db, runId, outPath);
    expect(result).toMatchObject({ runId, architecture: 'leadgroup', opset: 17, inputs: ['image', 'lead_boxes'], outputs: ['probability', 'group_attention'] });
    const bytes = readFileSync(outPath);
    expect(findOnnxProblems(bytes)).toEqual([]);
    const engine = await OnnxEngine.load(outPath, { intraOpThreads: 1 });
    expect(engine.info.trainingRunId).toBe(runId);
    expect(engine.info.gridStyle).toBe('none');
    await engine.release();
    const artifacts = await new RunStore(handle.db).listArtifacts(runId);
    expect(artifacts.find((a) => a.path === 'onnx/model.onnx')).toMatchObject({ kind: 'onnx-model', uri: pathToFileURL(outPath).href, sizeBytes: bytes.length });
  });

  it('scores a WFDB record exactly as the tfjs model does on the training preprocessing, and a PNG page', async () => {
    const { bytes } = await exportRunToOnnx(handle.db, runId);
    const engine = await OnnxEngine.load(bytes, { intraOpThreads: 1 });
    try {
      const [record, page] = await predictFiles(engine, [headerPath, pngPath]);
      const network = await loadCheckpoint(checkpointDir);
      const reference = await predictSource(
        network,
        new RecordSampleSource([{ recordId: 1, signalPath: headerPath, label: 1 }], { inputHeight: 64, inputWidth: 96, channels: 1, gridStyle: 'none' }),
        1,
      );
      network.model.dispose();
      expect(record.kind).toBe('wfdb');
      expect(Math.abs(record.probability - reference.probabilities[0])).toBeLessThan(1e-4);
      const groupWeights = Object.values(record.groupWeights!);
      groupWeights.forEach((w, g) => expect(Math.abs(w - reference.groupAttention![g])).toBeLessThan(1e-4));

      expect(page.kind).toBe('png');
      expect(page.probability).toBeGreaterThan(0);
      expect(page.probability).toBeLessThan(1);
      expect(Object.values(page.groupWeights!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    } finally {
      await engine.release();
    }
  });

  it('turns a PNG page into nearly the image training draws for the same record, with the same lead boxes', async () => {
    const options = { inputHeight: 64, inputWidth: 96, channels: 1 as const, gridStyle: 'none' as const };
    const training = await new RecordSampleSource([{ recordId: 1, signalPath: headerPath, label: 1 }], options).sample(0, null);
    const page = await new PredictionInputSource([{ path: pngPath, kind: 'png' }], options).sample(0);
    // Both come from the same page layout: the cells relative to the content area are the same numbers.
    expect(training.leadBoxes).toHaveLength(13);
    expect(page.leadBoxes).toHaveLength(13);
    page.leadBoxes.forEach((box, lead) => box.forEach((v, k) => expect(Math.abs(v - training.leadBoxes[lead][k])).toBeLessThan(1e-9)));
    // The 13th box is the lead II rhythm strip: the full width, below every panel.
    const [x0, y0, x1] = training.leadBoxes[12];
    expect(x1 - x0).toBeGreaterThan(0.9);
    expect(y0).toBeGreaterThanOrEqual(Math.max(...training.leadBoxes.slice(0, 12).map((b) => b[3])) - 1e-9);
    // Pixels differ by resampling only. Measured: this fixture mean ink 0.174 (training) vs 0.179
    // (page), correlation 0.94; PTB-XL 00001 at 128x160 0.063 vs 0.057, correlation 0.92, where
    // plain area averaging gave 0.013 mean ink, a fifth of training's (far outside the bounds below).
    const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    const [ma, mb] = [mean(training.pixels), mean(page.pixels)];
    let [sab, saa, sbb] = [0, 0, 0];
    training.pixels.forEach((v, i) => {
      sab += (v - ma) * (page.pixels[i] - mb);
      saa += (v - ma) ** 2;
      sbb += (page.pixels[i] - mb) ** 2;
    });
    expect(mb / ma).toBeGreaterThan(0.7);
    expect(mb / ma).toBeLessThan(1.3);
    expect(sab / Math.sqrt(saa * sbb)).toBeGreaterThan(0.8);
  });

  it('names the problem for bad runs and bad inputs', async () => {
    await expect(exportRunToOnnx(handle.db, 9999)).rejects.toThrow(OnnxRunExportError);
    const { bytes } = await exportRunToOnnx(handle.db, runId);
    const engine = await OnnxEngine.load(bytes, { intraOpThreads: 1 });
    try {
      const orphanPng = join(workDir, 'orphan.png');
      writeFileSync(orphanPng, readFileSync(pngPath));
      await expect(predictFiles(engine, [orphanPng])).rejects.toThrow(/orphan\.json is missing/);
      await expect(predictFiles(engine, [join(workDir, 'nothing.txt')])).rejects.toThrow(PredictionInputError);
    } finally {
      await engine.release();
    }
  });
});
