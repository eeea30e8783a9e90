import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AttributionStore, PredictionStore, RunStore, type LeadwiseDatabase, type Run } from '@leadwise/db';
import { LEAD_GROUP_NAMES } from '@leadwise/ecg';
import { validationThreshold } from '../report/gather-report.ts';

export class RunPredictionsError extends Error {
  override name = 'RunPredictionsError';
}

/** One scored record of a run, as `leadwise predictions` and the study report write it. */
export interface PredictionRow {
  recordId: number;
  externalId: string;
  dataset: string;
  /** The record's split (its own, also when the run scored a whole external dataset). */
  split: string | null;
  /** 1 abnormal, 0 normal. */
  trueLabel: number;
  /** Probability of abnormal. */
  score: number;
  /** score >= the run's threshold. */
  predictedLabel: number;
  /** LeadGroupECG's attention weight per lead group (absent for other models). */
  attention: Record<string, number>;
  /** Score drop when the group is masked (occlusion), per lead group, where computed. */
  occlusion: Record<string, number>;
}

export interface RunPredictions {
  runId: number;
  kind: Run['kind'];
  model: string;
  seed: number | null;
  /** The operating point: Youden's J on the train run's validation evaluation, else 0.5. */
  threshold: number;
  thresholdSource: 'validation' | 'default';
  /** Lead groups with attention weights / occlusion deltas in this run, in canonical order. */
  attentionGroups: string[];
  occlusionGroups: string[];
  rows: PredictionRow[];
}

/**
 * Every prediction of an evaluation or LLM run, one row per record, with the record's identity and
 * the run's lead-group attributions. A train run holds no predictions of its own: the error names
 * its evaluation runs, or the command that makes one.
 */
export async function loadRunPredictions(db: LeadwiseDatabase, runId: number): Promise<RunPredictions> {
  const runStore = new RunStore(db);
  const run = await runStore.getById(runId);
  if (!run || run.deletedAt) throw new RunPredictionsError(`run ${runId} does not exist; list runs with the GraphQL API or the study report`);
  if (run.kind === 'train') {
    const children = await runStore.listChildren(runId, 'evaluate');
    throw new RunPredictionsError(
      children.length > 0
        ? `run ${runId} is a train run; its predictions are in evaluation runs ${children.map((c) => c.id).join(', ')} (leadwise predictions --run ${children[0].id})`
        : `run ${runId} is a train run with no evaluation yet; score it first: leadwise evaluate --run ${runId} --dataset <name>`,
    );
  }
  const scored = (id: number) => new PredictionStore(db).scoredLabels(id);
  const trainRunId = run.kind === 'evaluate' ? run.parentRunId : null;
  const threshold = await validationThreshold(db, trainRunId, scored);
  const fromValidation = trainRunId !== null && (await runStore.hasFinishedEvaluationOn(trainRunId, 'val'));

  const rows = await new PredictionStore(db).listWithRecords(runId);
  const attributions = await new AttributionStore(db).listByRun(runId);
  const byRecord = new Map<number, { attention: Record<string, number>; occlusion: Record<string, number> }>();
  const attentionGroups = new Set<string>();
  const occlusionGroups = new Set<string>();
  for (const a of attributions) {
    const entry = byRecord.get(a.recordId) ?? { attention: {}, occlusion: {} };
    if (a.attentionWeight !== null) {
      entry.attention[a.groupName] = a.attentionWeight;
      attentionGroups.add(a.groupName);
    }
    if (a.occlusionDelta !== null) {
      entry.occlusion[a.groupName] = a.occlusionDelta;
      occlusionGroups.add(a.groupName);
    }
    byRecord.set(a.recordId, entry);
  }
  return {
    runId,
    kind: run.kind,
    model: run.model,
    seed: run.seed,
    threshold,
    thresholdSource: fromValidation ? 'validation' : 'default',
    attentionGroups: canonicalOrder(attentionGroups),
    occlusionGroups: canonicalOrder(occlusionGroups),
    rows: rows.map((r) => ({
      recordId: r.recordId,
      externalId: r.externalId,
      dataset: r.dataset,
      split: r.predictionSplit ?? r.recordSplit,
      trueLabel: r.trueLabel,
      score: r.score,
      predictedLabel: r.score >= threshold ? 1 : 0,
      attention: byRecord.get(r.recordId)?.attention ?? {},
      occlusion: byRecord.get(r.recordId)?.occlusion ?? {},
    })),
  };
}

function canonicalOrder(groups: ReadonlySet<string>): string[] {
  const known = LEAD_GROUP_NAMES.filter((g) => groups.has(g));
  return [...known, ...[...groups].filter((g) => !(LEAD_GROUP_NAMES as readonly string[]).includes(g)).sort()];
}

/** The CSV columns: identity, label, score and decision, then one column per lead group and kind. */
export function predictionsCsvHeader(p: RunPredictions): string[] {
  return [
    'record_id',
    'external_id',
    'dataset',
    'split',
    'label',
    'score',
    'predicted_label',
    'threshold',
    ...p.attentionGroups.map((g) => `weight_${g}`),
    ...p.occlusionGroups.map((g) => `occlusion_${g}`),
  ];
}

/**
 * RFC 4180 CSV, one row per record, for scikit-learn, pROC or a spreadsheet. `label` is the true
 * label (0/1), so `leadwise stats <file>` reads it back directly (it takes `score` as the score column).
 */
export function predictionsToCsv(p: RunPredictions): string {
  const cell = (v: string | number | null) => (v === null ? '' : typeof v === 'number' ? String(v) : /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [predictionsCsvHeader(p).join(',')];
  for (const r of p.rows) {
    lines.push(
      [
        r.recordId,
        r.externalId,
        r.dataset,
        r.split,
        r.trueLabel,
        r.score,
        r.predictedLabel,
        p.threshold,
        ...p.attentionGroups.map((g) => r.attention[g] ?? null),
        ...p.occlusionGroups.map((g) => r.occlusion[g] ?? null),
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes `predictions/run-<id>-<model>-seed<seed>-<dataset>-<split>.csv` for every finished
 * evaluation run of an experiment into a report folder, each file atomically. Returns the paths.
 */
export async function writeExperimentPredictions(db: LeadwiseDatabase, experimentId: number, reportDir: string): Promise<string[]> {
  const evaluations = await new RunStore(db).listFinishedEvaluations(experimentId);
  if (evaluations.length === 0) return [];
  const dir = join(reportDir, 'predictions');
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const evaluation of evaluations) {
    const table = await loadRunPredictions(db, evaluation.id);
    const splits = [...new Set(table.rows.map((r) => r.split ?? 'all'))];
    const name = [`run-${evaluation.id}`, evaluation.model, `seed${evaluation.seed ?? 'none'}`, evaluation.dataset ?? 'dataset', splits.length === 1 ? splits[0] : 'all']
      .join('-')
      .replace(/[^\w.-]+/g, '-');
    const path = join(dir, `${name}.csv`);
    await writeFile(`${path}.tmp`, predictionsToCsv(table));
    await rename(`${path}.tmp`, path);
    paths.push(path);
  }
  return paths;
}
