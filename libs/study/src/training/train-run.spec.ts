import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_PARALLEL_ENV_VAR } from '@leadwise/models';
import { AttributionStore, DatasetStore, PredictionStore, RecordStore, RunStore, type LeadwiseDatabase } from '@leadwise/db';
import { openTestDatabase, type TestDatabase } from '@leadwise/db/testing';
import { consistentTwelveLeadAdu, encodeFormat16Record } from '@leadwise/ecg/testing';
import { SUMMARY_METRIC_KEYS } from '../summary/summary-metrics.ts';
import { evaluateRun } from './evaluate-run.ts';
import { TRAIN_METRIC_KEYS, trainRun } from './train-run.ts';

// Real WFDB files (synthetic signals; abnormal ones carry a large ST-like offset in V2) read by the
// real reader, drawn by the real renderer, trained and stored in a real database.

let dataDir: string;
let runsDir: string;

function writeRecord(name: string, abnormal: boolean): string {
  const leads = consistentTwelveLeadAdu(1000);
  if (abnormal) for (let t = 0; t < 1000; t++) leads[7][t] += 800;
  const { header, dat, datName } = encodeFormat16Record({ recordName: name, leadsAdu: leads });
  writeFileSync(join(dataDir, `${name}.hea`), header);
  writeFileSync(join(dataDir, datName), dat);
  return join(dataDir, `${name}.hea`);
}

async function insertDataset(db: LeadwiseDatabase, name: string, splits: { split: 'train' | 'val' | 'test' | null; count: number }[]): Promise<void> {
  const dataset = await new DatasetStore(db).upsert({ name, kind: 'manifest', sourcePath: dataDir, labelRule: 'fixture' });
  const rows = splits.flatMap(({ split, count }) =>
    Array.from({ length: count }, (_, i) => {
      const externalId = `${name}-${split ?? 'none'}-${i}`;
      return {
        datasetId: dataset.id,
        externalId,
        split,
        label: i % 2 === 0 ? ('abnormal' as const) : ('normal' as const),
        sourceCodes: {},
        samplingRateHz: 100,
        lengthSamples: 1000,
        signalPath: writeRecord(externalId, i % 2 === 0),
      };
    }),
  );
  await new RecordStore(db).upsertMany(rows);
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'leadwise-train-run-data-'));
  runsDir = mkdtempSync(join(tmpdir(), 'leadwise-train-run-runs-'));
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(runsDir, { recursive: true, force: true });
});

describe('trainRun and evaluateRun on PGlite', () => {
  let handle: TestDatabase;
  beforeAll(async () => {
    handle = await openTestDatabase('pglite');
    await insertDataset(handle.db, 'fixture-internal', [
      { split: 'train', count: 8 },
      { split: 'val', count: 4 },
      { split: 'test', count: 4 },
    ]);
    await insertDataset(handle.db, 'fixture-external', [{ split: null, count: 4 }]);
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('stores a finished train run with params, per-epoch metrics, final metrics and a loadable checkpoint; evaluates it on an external set', async () => {
    const epochs: number[] = [];
    const result = await trainRun(handle.db, {
      model: 'leadgroup',
      dataset: 'fixture-internal',
      seed: 3,
      profile: 'quick',
      overrides: { epochs: 2, batchSize: 4, inputHeight: 48, inputWidth: 64, widthMultiplier: 0.0625 },
      runsDir,
      onEpoch: (m) => epochs.push(m.epoch),
    });
    expect(epochs).toEqual([1, 2]);
    const store = new RunStore(handle.db);
    const run = (await store.getById(result.runId))!;
    expect(run.status).toBe('finished');
    expect(run.kind).toBe('train');
    expect(run.backend).toMatch(/^tfjs-/);
    expect(run.wallTimeMs).toBeGreaterThan(0);
    expect(run.checkpointUri).toBe(result.checkpointUri);
    expect(existsSync(join(fileURLToPath(run.checkpointUri!), 'model.json'))).toBe(true);
    const params = await store.getParams(result.runId);
    expect(params).toMatchObject({ architecture: 'leadgroup', backbone: 'resnet18', input: '48x64x1', augment: 'false', train_records: '8', val_records: '4', test_records: '4' });
    const series = await store.getMetricSeries(result.runId, TRAIN_METRIC_KEYS.valRocAuc);
    expect(series.map((m) => m.step)).toEqual([1, 2]);
    const latest = new Map((await store.getLatestMetrics(result.runId)).map((m) => [m.key, m.value]));
    expect(latest.get(TRAIN_METRIC_KEYS.finalTestRocAuc)).toBe(result.test!.rocAuc);

    const evaluation = await evaluateRun(handle.db, { runId: result.runId, dataset: 'fixture-external', batchSize: 12 });
    expect(evaluation.split).toBe('all');
    expect(evaluation.metrics.n).toBe(4);
    const evalRun = (await store.getById(evaluation.evaluationRunId))!;
    expect(evalRun).toMatchObject({ kind: 'evaluate', parentRunId: result.runId, status: 'finished', model: 'leadgroup', seed: 3 });
    const evalLatest = new Map((await store.getLatestMetrics(evaluation.evaluationRunId)).map((m) => [m.key, m.value]));
    expect(evalLatest.get(SUMMARY_METRIC_KEYS.rocAuc)).toBe(evaluation.metrics.rocAuc);
    const page = await new PredictionStore(handle.db).page({ runId: evaluation.evaluationRunId });
    expect(page.items).toHaveLength(4);
    const firstRecord = page.items[0].recordId;
    const attributions = await new AttributionStore(handle.db).byRecord(firstRecord, { runId: evaluation.evaluationRunId });
    expect(attributions.map((a) => a.groupName).sort()).toEqual(['aVR', 'anterior', 'inferior', 'lateral', 'septal']);
    const attentionSum = attributions.reduce((sum, a) => sum + a.attentionWeight!, 0);
    expect(attentionSum).toBeCloseTo(1, 5);
    for (const a of attributions) expect(Number.isFinite(a.occlusionDelta)).toBe(true);

    // The ONNX engine scores the exported checkpoint: same predictions and attributions to 1e-4.
    const onnx = await evaluateRun(handle.db, { runId: result.runId, dataset: 'fixture-external', batchSize: 12, engine: 'onnx' });
    expect((await store.getById(onnx.evaluationRunId))!.backend).toBe('onnxruntime-node');
    const byRecord = async (runId: number) =>
      new Map((await new PredictionStore(handle.db).page({ runId })).items.map((p) => [p.recordId, p.score]));
    const tfjsScores = await byRecord(evaluation.evaluationRunId);
    const onnxScores = await byRecord(onnx.evaluationRunId);
    expect([...onnxScores.keys()].sort()).toEqual([...tfjsScores.keys()].sort());
    for (const [recordId, score] of tfjsScores) expect(Math.abs(onnxScores.get(recordId)! - score)).toBeLessThan(1e-4);
    const onnxAttributions = await new AttributionStore(handle.db).byRecord(firstRecord, { runId: onnx.evaluationRunId });
    for (const a of onnxAttributions) {
      const reference = attributions.find((r) => r.groupName === a.groupName)!;
      expect(Math.abs(a.attentionWeight! - reference.attentionWeight!)).toBeLessThan(1e-4);
      expect(Math.abs(a.occlusionDelta! - reference.occlusionDelta!)).toBeLessThan(1e-4);
    }
  });

  it('trains over two data-parallel replicas with LEADWISE_DATA_PARALLEL=2 and records it as a param', async () => {
    const previous = process.env[DATA_PARALLEL_ENV_VAR];
    process.env[DATA_PARALLEL_ENV_VAR] = '2';
    try {
      const result = await trainRun(handle.db, {
        model: 'resnet18',
        dataset: 'fixture-internal',
        seed: 5,
        profile: 'quick',
        overrides: { epochs: 1, batchSize: 4, inputHeight: 48, inputWidth: 64, widthMultiplier: 0.0625 },
        runsDir,
      });
      const store = new RunStore(handle.db);
      expect((await store.getById(result.runId))!.status).toBe('finished');
      expect(await store.getParams(result.runId)).toMatchObject({ architecture: 'resnet18', data_parallel: '2' });
      expect(existsSync(join(fileURLToPath(result.checkpointUri), 'model.json'))).toBe(true);
    } finally {
      if (previous === undefined) delete process.env[DATA_PARALLEL_ENV_VAR];
      else process.env[DATA_PARALLEL_ENV_VAR] = previous;
    }
  }, 180_000);

  it('names a missing dataset and a run without a checkpoint', async () => {
    await expect(trainRun(handle.db, { model: 'resnet18', dataset: 'nope', seed: 1, profile: 'quick', runsDir })).rejects.toThrow(/dataset "nope"/);
    await expect(evaluateRun(handle.db, { runId: 999_999, dataset: 'fixture-external' })).rejects.toThrow(/run 999999 does not exist/);
  });
});
