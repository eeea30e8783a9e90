import { AttributionStore, DatasetStore, ExperimentStore, PredictionStore, RunStore, type LeadwiseDatabase, type ScoredLabel } from '@leadwise/db';
import {
  bootstrapCi,
  brierScore,
  delongPairedTest,
  delongSeedAveragedTest,
  expectedCalibrationError,
  holmAdjust,
  prCurve,
  reliabilityBins,
  rocCurve,
  summarizeAcrossSeeds,
  thresholdMetric,
  thresholdMetrics,
  youdenThreshold,
} from '@leadwise/metrics';
import { computeStudySummary, type SeedEstimate } from '../summary/index.ts';
import type {
  AttributionRow,
  ComparisonRow,
  CurveSeries,
  DatasetSection,
  Estimate,
  ExamplePage,
  LlmRow,
  ModelSection,
  PromptSection,
  ResultRow,
  StudyReportData,
  TrainingCurve,
} from './report-data.ts';
import { EVALUATE_PARAM_KEYS, TRAIN_PARAM_KEYS } from '../run-param-keys.ts';
import { TRAIN_METRIC_KEYS } from '../training/train-run.ts';
import { STUDY_ROLES, type StudyRole } from '../summary/study-summary.ts';

export interface GatherOptions {
  experimentId: number;
  internalDataset: string;
  externalDataset: string | null;
  /** Split of the internal dataset the models are tested on. */
  internalTestSplit: 'test';
  seeds: number[];
  profile: string;
  commit: string;
  wallTimeS: number;
  bootstrapResamples: number;
  confidenceLevel: number;
  bootstrapSeed: number;
  render: Record<string, string | number>;
  examplePages: ExamplePage[];
  modelDescriptions: Record<string, { description: string; parameterCount: number }>;
  llm: { skippedReason: string | null; prompts: PromptSection[]; rows: LlmRow[] };
}

/** The backbone LeadGroupECG is compared with first; the other baselines follow. */
const REFERENCE_MODEL = 'leadgroup';
const MAX_CURVE_POINTS = 200;

/**
 * Reads everything the report shows from the database. The ROC-AUC / PR-AUC table comes from
 * `computeStudySummary`, the same function the GraphQL study summary uses, so both agree exactly.
 */
export async function gatherStudyReport(db: LeadwiseDatabase, options: GatherOptions): Promise<StudyReportData> {
  const experiment = await new ExperimentStore(db).getById(options.experimentId, { includeDeleted: true });
  const summary = await computeStudySummary(db, options.experimentId);
  const runStore = new RunStore(db);
  const predictionStore = new PredictionStore(db);

  const evaluateRuns = await runStore.listByExperiment(options.experimentId, { kind: 'evaluate', status: 'finished' });
  const scoredByRun = new Map<number, ScoredLabel[]>();
  const scored = async (runId: number) => {
    if (!scoredByRun.has(runId)) scoredByRun.set(runId, await predictionStore.scoredLabels(runId));
    return scoredByRun.get(runId)!;
  };

  const results: ResultRow[] = [];
  const curves = new Map<string, { role: StudyRole; dataset: string; series: CurveSeries[] }>();
  for (const row of summary.rows) {
    const perSeedOperating: { seed: number; sensitivity: number; specificity: number; brier: number; ece: number; ci: Record<string, [number, number]> }[] = [];
    for (const seedValue of row.rocAuc.perSeed) {
      const predictions = await scored(seedValue.runId);
      const labels = Uint8Array.from(predictions, (p) => p.trueLabel);
      const scores = Float64Array.from(predictions, (p) => p.score);
      const parent = evaluateRuns.find((r) => r.id === seedValue.runId)?.parentRunId ?? null;
      const threshold = await validationThreshold(db, parent, scored);
      const operating = thresholdMetrics(labels, scores, threshold);
      const boot = { resamples: options.bootstrapResamples, seed: options.bootstrapSeed, level: options.confidenceLevel };
      const sensCi = bootstrapCi(labels, scores, thresholdMetric('sensitivity', threshold), boot);
      const specCi = bootstrapCi(labels, scores, thresholdMetric('specificity', threshold), boot);
      const brierCi = bootstrapCi(labels, scores, (l, s) => brierScore(l, s), boot);
      const eceCi = bootstrapCi(labels, scores, (l, s) => expectedCalibrationError(l, s), boot);
      perSeedOperating.push({
        seed: seedValue.seed,
        sensitivity: operating.sensitivity ?? Number.NaN,
        specificity: operating.specificity ?? Number.NaN,
        brier: brierScore(labels, scores),
        ece: expectedCalibrationError(labels, scores),
        ci: { sensitivity: [sensCi.lower, sensCi.upper], specificity: [specCi.lower, specCi.upper], brier: [brierCi.lower, brierCi.upper], ece: [eceCi.lower, eceCi.upper] },
      });
      const roc = rocCurve(labels, scores);
      const pr = prCurve(labels, scores);
      const curveKey = `${row.role}|${row.dataset}`;
      if (!curves.has(curveKey)) curves.set(curveKey, { role: row.role, dataset: row.dataset, series: [] });
      curves.get(curveKey)!.series.push({
        model: row.model,
        seed: seedValue.seed,
        roc: thin(roc.fpr.map((fpr, i) => ({ fpr, tpr: roc.tpr[i] }))),
        pr: thin(pr.recall.map((recall, i) => ({ recall, precision: pr.precision[i] }))),
        reliability: reliabilityBins(labels, scores).flatMap((b) =>
          b.meanPredicted === null || b.observedRate === null ? [] : [{ meanPredicted: b.meanPredicted, observedRate: b.observedRate, count: b.count }],
        ),
      });
    }
    const fromOperating = (key: 'sensitivity' | 'specificity' | 'brier' | 'ece'): Estimate =>
      toEstimate(perSeedOperating.map((p) => ({ seed: p.seed, value: p[key], ciLow: p.ci[key][0], ciHigh: p.ci[key][1] })));
    results.push({
      model: row.model,
      role: row.role,
      dataset: row.dataset,
      n: row.n,
      positives: row.positives,
      rocAuc: fromSeedEstimate(row.rocAuc),
      prAuc: fromSeedEstimate(row.prAuc),
      sensitivity: fromOperating('sensitivity'),
      specificity: fromOperating('specificity'),
      brier: fromOperating('brier'),
      ece: fromOperating('ece'),
    });
  }

  const comparisons = await pairedComparisons(summary.rows, scored, options.confidenceLevel);
  const datasets = await datasetSections(db, options, summary.rows);
  const models = await modelSections(runStore, options);
  const attributions = await attributionRows(db, options);
  const trainingCurves = await trainingCurveRows(runStore, options.experimentId);

  return {
    experiment: {
      id: options.experimentId,
      name: experiment?.name ?? String(options.experimentId),
      profile: options.profile,
      configHash: experiment?.configHash ?? '',
      createdAt: experiment?.createdAt ? new Date(experiment.createdAt).toISOString() : '',
      commit: options.commit,
      wallTimeS: options.wallTimeS,
    },
    datasets,
    render: options.render,
    examplePages: options.examplePages,
    models,
    seeds: options.seeds,
    statistics: { bootstrapResamples: options.bootstrapResamples, confidenceLevel: options.confidenceLevel },
    results,
    comparisons,
    curves: [...curves.values()],
    attributions,
    trainingCurves,
    llm: options.llm,
  };
}

/** Loss and validation ROC-AUC per epoch of every finished train run, from their stored metric series. */
async function trainingCurveRows(runStore: RunStore, experimentId: number): Promise<TrainingCurve[]> {
  const trainRuns = await runStore.listByExperiment(experimentId, { kind: 'train', status: 'finished' });
  const out: TrainingCurve[] = [];
  for (const run of trainRuns) {
    const series = await runStore.getMetricSeries(run.id);
    const byEpoch = new Map<number, TrainingCurve['epochs'][number]>();
    for (const point of series) {
      const field =
        point.key === TRAIN_METRIC_KEYS.trainLoss ? 'trainLoss' : point.key === TRAIN_METRIC_KEYS.valLoss ? 'valLoss' : point.key === TRAIN_METRIC_KEYS.valRocAuc ? 'valRocAuc' : null;
      if (field === null) continue;
      const epoch = byEpoch.get(point.step) ?? { epoch: point.step, trainLoss: null, valLoss: null, valRocAuc: null };
      // A resumed run may log an epoch again: the later value (series order) wins.
      epoch[field] = point.value;
      byEpoch.set(point.step, epoch);
    }
    if (byEpoch.size > 0) out.push({ model: run.model, seed: run.seed ?? 0, epochs: [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch) });
  }
  return out;
}

/** Youden's J on the train run's validation-split evaluation; 0.5 when there is none. */
export async function validationThreshold(
  db: LeadwiseDatabase,
  trainRunId: number | null,
  scored: (runId: number) => Promise<ScoredLabel[]>,
): Promise<number> {
  if (trainRunId === null) return 0.5;
  const children = await new RunStore(db).finishedChildParams(trainRunId, 'evaluate', EVALUATE_PARAM_KEYS.split);
  const validationRun = children.filter((c) => c.value === 'val').at(-1);
  if (!validationRun) return 0.5;
  const validation = await scored(validationRun.id);
  const hasBoth = validation.some((p) => p.trueLabel === 1) && validation.some((p) => p.trueLabel === 0);
  if (!hasBoth) return 0.5;
  return youdenThreshold(Uint8Array.from(validation, (p) => p.trueLabel), Float64Array.from(validation, (p) => p.score)).threshold;
}

/** LeadGroupECG against every other model, per seed and test set, on the records both scored; Holm per test set. */
async function pairedComparisons(
  rows: Awaited<ReturnType<typeof computeStudySummary>>['rows'],
  scored: (runId: number) => Promise<ScoredLabel[]>,
  level: number,
): Promise<ComparisonRow[]> {
  const out: ComparisonRow[] = [];
  for (const role of STUDY_ROLES) {
    const reference = rows.find((r) => r.role === role && r.model === REFERENCE_MODEL);
    if (!reference) continue;
    const start = out.length;
    for (const other of rows.filter((r) => r.role === role && r.model !== REFERENCE_MODEL)) {
      for (const refSeed of reference.rocAuc.perSeed) {
        const otherSeed = other.rocAuc.perSeed.find((s) => s.seed === refSeed.seed);
        if (!otherSeed) continue;
        const a = await scored(refSeed.runId);
        const bByRecord = new Map((await scored(otherSeed.runId)).map((p) => [p.recordId, p.score]));
        const shared = a.filter((p) => bByRecord.has(p.recordId));
        const labels = Uint8Array.from(shared, (p) => p.trueLabel);
        // DeLong needs both classes among the records the two runs share.
        if (!labels.includes(0) || !labels.includes(1)) continue;
        const test = delongPairedTest(labels, Float64Array.from(shared, (p) => p.score), Float64Array.from(shared, (p) => bByRecord.get(p.recordId)!), { level });
        out.push({
          role,
          seed: refSeed.seed,
          modelA: REFERENCE_MODEL,
          modelB: other.model,
          aucA: test.aucA,
          aucB: test.aucB,
          difference: test.difference,
          ciLow: test.lower,
          ciHigh: test.upper,
          z: test.z,
          p: test.pValue,
          pHolm: Number.NaN,
        });
      }
    }
    const adjusted = holmAdjust(out.slice(start).map((c) => c.p));
    adjusted.forEach((p, i) => (out[start + i].pHolm = p));
    const pooledStart = out.length;
    for (const other of rows.filter((r) => r.role === role && r.model !== REFERENCE_MODEL)) {
      const seeds = reference.rocAuc.perSeed.filter((s) => other.rocAuc.perSeed.some((o) => o.seed === s.seed)).map((s) => s.seed);
      if (seeds.length < 2) continue;
      const pooled = await seedPooledComparison(seeds, reference, other, scored, level);
      if (pooled) out.push({ role, seed: 'pooled', modelA: REFERENCE_MODEL, modelB: other.model, ...pooled, pHolm: Number.NaN });
    }
    holmAdjust(out.slice(pooledStart).map((c) => c.p)).forEach((p, i) => (out[pooledStart + i].pHolm = p));
  }
  return out;
}

/** DeLong on the seed-mean AUCs of two models over the records every one of their runs scored. */
async function seedPooledComparison(
  seeds: number[],
  reference: Awaited<ReturnType<typeof computeStudySummary>>['rows'][number],
  other: Awaited<ReturnType<typeof computeStudySummary>>['rows'][number],
  scored: (runId: number) => Promise<ScoredLabel[]>,
  level: number,
): Promise<Omit<ComparisonRow, 'role' | 'seed' | 'modelA' | 'modelB' | 'pHolm'> | null> {
  const runIds = (row: typeof reference) => seeds.map((seed) => row.rocAuc.perSeed.find((s) => s.seed === seed)!.runId);
  const byRecord = async (runId: number) => new Map((await scored(runId)).map((p) => [p.recordId, p]));
  const maps = await Promise.all([...runIds(reference), ...runIds(other)].map(byRecord));
  const shared = [...maps[0].values()].filter((p) => maps.every((m) => m.has(p.recordId)));
  const labels = Uint8Array.from(shared, (p) => p.trueLabel);
  if (!labels.includes(0) || !labels.includes(1)) return null;
  const scores = maps.map((m) => Float64Array.from(shared, (p) => m.get(p.recordId)!.score));
  const test = delongSeedAveragedTest(labels, scores.slice(0, seeds.length), scores.slice(seeds.length), { level });
  return { aucA: test.aucA, aucB: test.aucB, difference: test.difference, ciLow: test.lower, ciHigh: test.upper, z: test.z, p: test.pValue };
}

async function datasetSections(db: LeadwiseDatabase, options: GatherOptions, rows: { role: StudyRole; dataset: string; n: number; positives: number }[]): Promise<DatasetSection[]> {
  const store = new DatasetStore(db);
  const sections: DatasetSection[] = [];
  const roles: [StudyRole, string | null][] = [['internal', options.internalDataset], ['external', options.externalDataset]];
  for (const [role, name] of roles) {
    if (!name) continue;
    const dataset = await store.getByName(name);
    if (!dataset) continue;
    const counts = await store.labelCounts([dataset.id]);
    const bySplit = new Map<string, { split: string; normal: number; abnormal: number; excluded: number }>();
    for (const c of counts) {
      const split = c.split ?? 'unsplit';
      if (!bySplit.has(split)) bySplit.set(split, { split, normal: 0, abnormal: 0, excluded: 0 });
      bySplit.get(split)![c.label] += c.count;
    }
    const evaluated = rows.filter((r) => r.role === role);
    sections.push({
      role,
      name,
      kind: dataset.kind,
      source: dataset.sourcePath,
      records: [...bySplit.values()].reduce((s, b) => s + b.normal + b.abnormal + b.excluded, 0),
      balance: [...bySplit.values()].sort((a, b) => a.split.localeCompare(b.split)),
      labelRule: dataset.labelRule,
      fileHashes: Object.entries(dataset.sourceFileHashes ?? {}).map(([file, sha256]) => ({ file, sha256 })),
      evaluatedSplit: role === 'internal' ? options.internalTestSplit : 'all records',
      evaluatedN: evaluated.length ? Math.max(...evaluated.map((r) => r.n)) : 0,
      evaluatedPositives: evaluated.length ? Math.max(...evaluated.map((r) => r.positives)) : 0,
    });
  }
  return sections;
}

/** Train params the report's model table leaves out of a model's training settings. */
const NOT_TRAINING_SETTINGS: ReadonlySet<string> = new Set([TRAIN_PARAM_KEYS.modelSeed, TRAIN_PARAM_KEYS.dataset, TRAIN_PARAM_KEYS.testRecords]);

async function modelSections(runStore: RunStore, options: GatherOptions): Promise<ModelSection[]> {
  const trainRuns = await runStore.listByExperiment(options.experimentId, { kind: 'train', status: 'finished' });
  const params = await runStore.paramsForRuns(trainRuns.map((r) => r.id));
  const sections = new Map<string, ModelSection>();
  for (const run of trainRuns) {
    if (sections.has(run.model)) continue;
    const p = params.get(run.id) ?? {};
    const known = options.modelDescriptions[run.model];
    sections.set(run.model, {
      model: run.model,
      description: known?.description ?? run.model,
      // trainRun logs no parameter count: the study counts it from the built model.
      parameterCount: known?.parameterCount ?? 0,
      inputSize: p[TRAIN_PARAM_KEYS.input] ?? '',
      backend: run.backend ?? '',
      // Seeds are listed on their own; the study scores the test split in its evaluate step, not in training.
      trainingSettings: Object.fromEntries(Object.entries(p).filter(([k]) => !NOT_TRAINING_SETTINGS.has(k))),
    });
  }
  return [...sections.values()];
}

async function attributionRows(db: LeadwiseDatabase, options: GatherOptions): Promise<AttributionRow[]> {
  // The validation evaluation (for the threshold) is not a test set: only test splits are charted.
  const grouped = await new AttributionStore(db).summarizeExperiment(options.experimentId, { key: EVALUATE_PARAM_KEYS.split, value: 'val' });
  const datasetStore = new DatasetStore(db);
  const internal = await datasetStore.getByName(options.internalDataset);
  const out: AttributionRow[] = [];
  for (const g of grouped) {
    if (g.label === 'excluded') continue;
    const role = g.datasetId === internal?.id ? 'internal' : 'external';
    if (g.attentionMean !== null && Number.isFinite(g.attentionMean)) {
      out.push({ model: g.model, role, label: g.label, group: g.group, kind: 'attention', mean: g.attentionMean, sd: g.attentionSd ?? 0, n: g.n });
    }
    if (g.occlusionMean !== null && Number.isFinite(g.occlusionMean)) {
      out.push({ model: g.model, role, label: g.label, group: g.group, kind: 'occlusion', mean: g.occlusionMean, sd: g.occlusionSd ?? 0, n: g.n });
    }
  }
  return out.sort((a, b) => a.model.localeCompare(b.model) || a.role.localeCompare(b.role) || a.kind.localeCompare(b.kind) || a.group.localeCompare(b.group));
}

function fromSeedEstimate(e: SeedEstimate): Estimate {
  return { mean: e.mean, sd: e.sd ?? 0, min: e.min, max: e.max, ciLow: e.ciLow, ciHigh: e.ciHigh, perSeed: e.perSeed.map(({ seed, value, ciLow, ciHigh }) => ({ seed, value, ciLow, ciHigh })) };
}

function toEstimate(perSeed: { seed: number; value: number; ciLow: number; ciHigh: number }[]): Estimate {
  const across = summarizeAcrossSeeds(perSeed.map((p) => ({ seed: p.seed, value: p.value })));
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return { mean: across.mean, sd: across.sd ?? 0, min: across.min, max: across.max, ciLow: mean(perSeed.map((p) => p.ciLow)), ciHigh: mean(perSeed.map((p) => p.ciHigh)), perSeed };
}

/** Keeps at most MAX_CURVE_POINTS points (always the first and last) so SVGs stay small. */
function thin<T>(points: T[]): T[] {
  if (points.length <= MAX_CURVE_POINTS) return points;
  const step = (points.length - 1) / (MAX_CURVE_POINTS - 1);
  return Array.from({ length: MAX_CURVE_POINTS }, (_, i) => points[Math.round(i * step)]);
}

