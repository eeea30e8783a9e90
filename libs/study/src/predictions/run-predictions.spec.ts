import { AttributionStore, DatasetStore, ExperimentStore, PredictionStore, RecordStore, RunStore } from '@leadwise/db';
import { openTestDatabase, type TestDatabase } from '@leadwise/db/testing';
import { LEAD_GROUP_NAMES } from '@leadwise/ecg';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRunPredictions, predictionsToCsv, RunPredictionsError } from './run-predictions.ts';

// A LeadGroupECG train run with a validation and a test evaluation, written through the stores as
// training and evaluation write them (embedded PGlite), then read back as one row per record.
describe('loadRunPredictions', () => {
  let test: TestDatabase;
  const ids = { train: 0, val: 0, test: 0 };
  beforeAll(async () => {
    test = await openTestDatabase('pglite');
    const db = test.db;
    const dataset = await new DatasetStore(db).upsert({ name: 'demo, "quoted"', kind: 'manifest', sourcePath: '/x', labelRule: 'fixture' });
    const rows = Array.from({ length: 12 }, (_, i) => ({
      datasetId: dataset.id,
      externalId: `R${i}`,
      split: i < 6 ? ('val' as const) : ('test' as const),
      label: i % 2 ? ('abnormal' as const) : ('normal' as const),
      sourceCodes: {},
      samplingRateHz: 500,
      lengthSamples: 5000,
      signalPath: `R${i}.hea`,
    }));
    const recordIds = (await new RecordStore(db).upsertMany(rows)).map((r) => r.id);
    const { experiment } = await new ExperimentStore(db).createOrGet({ name: 'e', config: {}, configHash: 'h'.repeat(64) });
    const runs = new RunStore(db);
    const train = await runs.create({ experimentId: experiment.id, kind: 'train', model: 'leadgroup', seed: 3, status: 'finished', datasetId: dataset.id });
    const evaluation = async (split: 'val' | 'test') => {
      const run = await runs.create({ experimentId: experiment.id, parentRunId: train.id, kind: 'evaluate', model: 'leadgroup', seed: 3, status: 'finished', datasetId: dataset.id });
      await runs.logParams(run.id, { split });
      return run.id;
    };
    Object.assign(ids, { train: train.id, val: await evaluation('val'), test: await evaluation('test') });
    // Validation scores: abnormal records score 0.30-0.34, normal ones 0.10-0.14, so Youden's J puts
    // the threshold at 0.30 (the lowest abnormal score), not at 0.5.
    const score = (i: number) => (i % 2 ? 0.3 + i / 100 : 0.1 + i / 100);
    const predictionStore = new PredictionStore(db);
    for (const [runId, from] of [[ids.val, 0], [ids.test, 6]] as const) {
      await predictionStore.upsertMany(
        recordIds.slice(from, from + 6).map((recordId, k) => ({
          runId,
          recordId,
          datasetId: dataset.id,
          split: rows[from + k].split,
          trueLabel: (from + k) % 2,
          score: from === 0 ? score(k) : [0.2, 0.35, 0.31, 0.6, 0.29, 0.9][k],
          predictedLabel: 0,
        })),
      );
    }
    await new AttributionStore(db).upsertMany(
      recordIds.slice(6).flatMap((recordId) => LEAD_GROUP_NAMES.map((groupName, g) => ({ runId: ids.test, recordId, groupName, attentionWeight: (g + 1) / 15, occlusionDelta: -g / 100 }))),
    );
  });
  afterAll(async () => {
    await test?.close();
  });

  it('gives one row per record with its identity, the validation threshold, and the group weights', async () => {
    const p = await loadRunPredictions(test.db, ids.test);
    expect([p.thresholdSource, p.threshold]).toEqual(['validation', 0.31]);
    expect(p.attentionGroups).toEqual(LEAD_GROUP_NAMES);
    expect(p.rows.map((r) => [r.externalId, r.split, r.trueLabel, r.score, r.predictedLabel])).toEqual([
      ['R6', 'test', 0, 0.2, 0],
      ['R7', 'test', 1, 0.35, 1],
      ['R8', 'test', 0, 0.31, 1],
      ['R9', 'test', 1, 0.6, 1],
      ['R10', 'test', 0, 0.29, 0],
      ['R11', 'test', 1, 0.9, 1],
    ]);

    const table = parse(predictionsToCsv(p), { columns: true }) as Record<string, string>[];
    expect(table).toHaveLength(6);
    expect(Object.keys(table[0])).toEqual([
      'record_id', 'external_id', 'dataset', 'split', 'label', 'score', 'predicted_label', 'threshold',
      ...LEAD_GROUP_NAMES.map((g) => `weight_${g}`),
      ...LEAD_GROUP_NAMES.map((g) => `occlusion_${g}`),
    ]);
    // The dataset name holds a comma and quotes: RFC 4180 quoting keeps it one cell.
    expect(table[0]).toMatchObject({ dataset: 'demo, "quoted"', label: '0', threshold: '0.31', weight_inferior: String(1 / 15), occlusion_lateral: '-0.01' });
  });

  it('falls back to 0.5 without a validation evaluation, and points a train run id at its evaluations', async () => {
    expect(await loadRunPredictions(test.db, ids.val)).toMatchObject({ thresholdSource: 'validation', threshold: 0.31 });
    // An LLM run has no train run, hence no validation evaluation: the default 0.5.
    const [val] = await new PredictionStore(test.db).scoredLabels(ids.val);
    const testRun = await new RunStore(test.db).getById(ids.test);
    const llm = await new RunStore(test.db).create({ experimentId: testRun!.experimentId, kind: 'llm', model: 'gpt-4.1', status: 'finished' });
    const [firstVal] = await test.db.query.predictions.findMany({ where: (p, { eq }) => eq(p.runId, ids.val), limit: 1 });
    await new PredictionStore(test.db).upsertMany([{ runId: llm.id, recordId: firstVal.recordId, datasetId: firstVal.datasetId, split: 'val', trueLabel: val.trueLabel, score: 0.45, predictedLabel: 0 }]);
    expect(await loadRunPredictions(test.db, llm.id)).toMatchObject({ thresholdSource: 'default', threshold: 0.5, attentionGroups: [], rows: [{ score: 0.45, predictedLabel: 0 }] });
    await expect(loadRunPredictions(test.db, ids.train)).rejects.toThrow(new RunPredictionsError(`run ${ids.train} is a train run; its predictions are in evaluation runs ${ids.val}, ${ids.test} (leadwise predictions --run ${ids.val})`));
    await expect(loadRunPredictions(test.db, 987654)).rejects.toThrow(/run 987654 does not exist/);
  });
});
