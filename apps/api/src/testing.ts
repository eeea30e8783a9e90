import { datasets, experiments, leadGroupAttributions, llmResponses, predictions, records, runLatestMetrics, runParams, runs, type LeadwiseDatabase } from '@leadwise/db';
import { EVALUATE_PARAM_KEYS, SUMMARY_METRIC_KEYS } from '@leadwise/study';

/** Ids of what `seedApiFixture` wrote. */
export interface ApiFixture {
  internalDatasetId: number;
  externalDatasetId: number;
  experimentId: number;
  /** Evaluate run ids by `${model}-seed${seed}-${role}`. */
  evaluateRuns: Record<string, number>;
  /** The run with the known-answer predictions (4 records, see below). */
  knownRunA: number;
  knownRunB: number;
  llmRunId: number;
  /** A run with many predictions for pagination tests. */
  bigRunId: number;
  bigRunSize: number;
  recordIds: number[];
}

/** A deterministic score for record i of the big run: spread over [0, 1), with tied scores among records. */
export function bigRunScore(i: number): number {
  return ((i * 37) % 101) / 101 + (i % 7 === 0 ? 0 : 0.001 * (i % 3));
}

/**
 * A small study in the database, written with plain inserts (no study code involved) so tests of
 * the API know every answer:
 * - dataset `ptbxl` (internal): 300 records, split train/val/test by i % 3, label by i % 2
 *   (odd = abnormal), every 10th excluded; dataset `chapman` (external): 4 records.
 * - experiment `fixture` whose config names `ptbxl` as its internal dataset.
 * - known runs A and B on the 4 chapman records: labels [0, 0, 1, 1]; A scores [0.1, 0.4, 0.35, 0.8]
 *   (the anchors' example: ROC-AUC 0.75, AP 0.8333), B scores [0.1, 0.2, 0.8, 0.9] (AUC 1).
 * - the big run: one prediction per ptbxl record (300), predicted label = score >= 0.5.
 * - evaluate runs with summary metrics for resnet18 seeds 1-3 internal and seed 1 external, and a
 *   validation-split evaluation (param split=val, ROC-AUC 0.99) that the summary must ignore.
 */
export async function seedApiFixture(db: LeadwiseDatabase): Promise<ApiFixture> {
  const [internal] = await db
    .insert(datasets)
    .values({ name: 'ptbxl', kind: 'ptbxl', sourcePath: '/data/ptbxl', labelRule: 'ptbxl-normal-vs-abnormal' })
    .returning();
  const [external] = await db
    .insert(datasets)
    .values({ name: 'chapman', kind: 'cinc', sourcePath: '/data/chapman', labelRule: 'cinc-normal-vs-abnormal' })
    .returning();
  const splits = ['train', 'val', 'test'] as const;
  const internalRecords = await db
    .insert(records)
    .values(
      Array.from({ length: 300 }, (_, i) => ({
        datasetId: internal!.id,
        externalId: String(i + 1).padStart(5, '0'),
        patientId: `p${Math.floor(i / 2)}`,
        fold: (i % 10) + 1,
        split: splits[i % 3],
        label: i % 10 === 0 ? ('excluded' as const) : i % 2 === 1 ? ('abnormal' as const) : ('normal' as const),
        sourceCodes: { NORM: 100 },
        samplingRateHz: 100,
        lengthSamples: 1000,
        signalPath: `records100/${i}`,
      })),
    )
    .returning({ id: records.id });
  const externalRecords = await db
    .insert(records)
    .values(
      [0, 0, 1, 1].map((label, i) => ({
        datasetId: external!.id,
        externalId: `JS${i}`,
        label: label === 1 ? ('abnormal' as const) : ('normal' as const),
        sourceCodes: ['426783006'],
        samplingRateHz: 500,
        lengthSamples: 5000,
        signalPath: `JS${i}.hea`,
      })),
    )
    .returning({ id: records.id });
  const [experiment] = await db
    .insert(experiments)
    .values({ name: 'fixture', configHash: 'fixture-hash', config: { name: 'fixture', datasets: { internal: { name: 'ptbxl' }, external: { name: 'chapman' } } } })
    .returning();
  const newRun = async (values: { kind: 'train' | 'evaluate' | 'llm'; model: string; seed?: number; datasetId?: number; status?: 'finished' | 'queued' }) => {
    const [run] = await db
      .insert(runs)
      .values({ experimentId: experiment!.id, status: values.status ?? 'finished', seed: values.seed ?? null, datasetId: values.datasetId ?? null, kind: values.kind, model: values.model, backend: 'tfjs-wasm' })
      .returning();
    return run!.id;
  };

  const knownRunA = await newRun({ kind: 'evaluate', model: 'model-a', seed: 1, datasetId: external!.id });
  const knownRunB = await newRun({ kind: 'evaluate', model: 'model-b', seed: 1, datasetId: external!.id });
  const labels = [0, 0, 1, 1];
  const scoresA = [0.1, 0.4, 0.35, 0.8];
  const scoresB = [0.1, 0.2, 0.8, 0.9];
  for (const [runId, scores] of [
    [knownRunA, scoresA],
    [knownRunB, scoresB],
  ] as const) {
    await db.insert(predictions).values(
      externalRecords.map((r, i) => ({
        runId,
        recordId: r.id,
        datasetId: external!.id,
        split: null,
        trueLabel: labels[i]!,
        score: scores[i]!,
        predictedLabel: scores[i]! >= 0.5 ? 1 : 0,
      })),
    );
  }

  const bigRunId = await newRun({ kind: 'evaluate', model: 'resnet18', seed: 9, datasetId: internal!.id });
  await db.insert(predictions).values(
    internalRecords.map((r, i) => {
      const score = bigRunScore(i);
      return { runId: bigRunId, recordId: r.id, datasetId: internal!.id, split: splits[i % 3], trueLabel: i % 2, score, predictedLabel: score >= 0.5 ? 1 : 0 };
    }),
  );
  // Attributions for the first 20 records of the big run: attention 0.1 * (g + 1) / 1.5 per group g.
  const groups = ['anterior', 'aVR', 'inferior', 'lateral', 'septal'];
  await db.insert(leadGroupAttributions).values(
    internalRecords.slice(0, 20).flatMap((r, i) =>
      groups.map((groupName, g) => ({ runId: bigRunId, recordId: r.id, groupName, attentionWeight: (0.1 * (g + 1)) / 1.5, occlusionDelta: i % 2 === 1 ? -0.1 * g : 0.05 * g })),
    ),
  );

  const evaluateRuns: Record<string, number> = {};
  // resnet18 internal, three seeds: ROC-AUC 0.80 / 0.84 / 0.82, CIs +- 0.05; PR-AUC 0.70 / 0.74 / 0.72.
  const summaryRows: { key: string; seed: number; role: 'internal' | 'external'; roc: number; pr: number }[] = [
    { key: 'resnet18-seed1-internal', seed: 1, role: 'internal', roc: 0.8, pr: 0.7 },
    { key: 'resnet18-seed2-internal', seed: 2, role: 'internal', roc: 0.84, pr: 0.74 },
    { key: 'resnet18-seed3-internal', seed: 3, role: 'internal', roc: 0.82, pr: 0.72 },
    { key: 'resnet18-seed1-external', seed: 1, role: 'external', roc: 0.7, pr: 0.6 },
  ];
  for (const row of summaryRows) {
    const runId = await newRun({ kind: 'evaluate', model: 'resnet18', seed: row.seed, datasetId: row.role === 'internal' ? internal!.id : external!.id });
    evaluateRuns[row.key] = runId;
    const values: Record<string, number> = {
      [SUMMARY_METRIC_KEYS.n]: row.role === 'internal' ? 100 : 4,
      [SUMMARY_METRIC_KEYS.positives]: row.role === 'internal' ? 45 : 2,
      [SUMMARY_METRIC_KEYS.rocAuc]: row.roc,
      [SUMMARY_METRIC_KEYS.rocAucCiLow]: row.roc - 0.05,
      [SUMMARY_METRIC_KEYS.rocAucCiHigh]: row.roc + 0.05,
      [SUMMARY_METRIC_KEYS.prAuc]: row.pr,
      [SUMMARY_METRIC_KEYS.prAucCiLow]: row.pr - 0.05,
      [SUMMARY_METRIC_KEYS.prAucCiHigh]: row.pr + 0.05,
    };
    await db.insert(runLatestMetrics).values(Object.entries(values).map(([key, value]) => ({ runId, key, value, step: 0, timestamp: new Date() })));
  }

  // LLM answers about the 4 chapman records: parsed scores for three, one unparseable.
  const llmRunId = await newRun({ kind: 'llm', model: 'gpt-4.1', datasetId: external!.id });
  await db.insert(llmResponses).values(
    externalRecords.map((r, i) => ({
      runId: llmRunId,
      recordId: r.id,
      model: 'gpt-4.1',
      provider: 'openai',
      promptName: 'study-zero-shot',
      promptHash: 'p1',
      imageSha256: `img${i}`,
      imageStyle: 'grid',
      rawText: i === 3 ? 'I cannot tell.' : `{"label":"${i < 2 ? 'normal' : 'abnormal'}","probability":${0.2 + 0.2 * i}}`,
      parsedLabel: i === 3 ? null : i < 2 ? 0 : 1,
      parsedScore: i === 3 ? null : 0.2 + 0.2 * i,
      scoreSource: i === 3 ? ('none' as const) : ('stated-probability' as const),
      parseStatus: i === 3 ? ('unparseable' as const) : ('parsed' as const),
    })),
  );

  // A validation-split evaluation (it only picks operating thresholds): the summary must leave it out.
  const validationRunId = await newRun({ kind: 'evaluate', model: 'resnet18', seed: 1, datasetId: internal!.id });
  await db.insert(runParams).values({ runId: validationRunId, key: EVALUATE_PARAM_KEYS.split, value: 'val' });
  await db.insert(runLatestMetrics).values(
    [SUMMARY_METRIC_KEYS.rocAuc, SUMMARY_METRIC_KEYS.prAuc].map((key) => ({ runId: validationRunId, key, value: 0.99, step: 0, timestamp: new Date() })),
  );

  return {
    internalDatasetId: internal!.id,
    externalDatasetId: external!.id,
    experimentId: experiment!.id,
    evaluateRuns,
    knownRunA,
    knownRunB,
    llmRunId,
    bigRunId,
    bigRunSize: 300,
    recordIds: internalRecords.map((r) => r.id),
  };
}
