import { DatasetStore, RecordStore, SPLITS, type Dataset, type LeadwiseDatabase } from '@leadwise/db';
import { localisedGroupTargets } from '@leadwise/ecg';
import { seededPermutation } from '@leadwise/ecg';
import type { TrainingRecord } from './record-sample-source.ts';

/** What an evaluation or an LLM run scores: one split, or `all` (every labelled record; an external set without folds). */
export const SCORED_SPLITS = [...SPLITS, 'all'] as const;
export type ScoredSplit = (typeof SCORED_SPLITS)[number];

export class TrainingDataError extends Error {
  override name = 'TrainingDataError';
}

export async function requireDataset(db: LeadwiseDatabase, name: string): Promise<Dataset> {
  const dataset = await new DatasetStore(db).getByName(name);
  if (!dataset) throw new TrainingDataError(`dataset "${name}" is not in the database; import it first (leadwise import ...)`);
  return dataset;
}

/**
 * Labelled (normal/abnormal) records of a dataset, in id order; `split` null means records without a
 * split, 'all' means every labelled record whatever its split.
 */
export async function labelledRecords(db: LeadwiseDatabase, datasetId: number, split: ScoredSplit | null): Promise<TrainingRecord[]> {
  const rows = await new RecordStore(db).listLabelled(datasetId);
  return rows
    .filter((row) => split === 'all' || row.split === split)
    .map((row) => {
      const groupTargets = localisedGroupTargets(row.sourceCodes);
      return { recordId: row.id, signalPath: row.signalPath, label: row.label === 'abnormal' ? 1 : 0, ...(groupTargets ? { groupTargets } : {}) };
    });
}

/**
 * A label-stratified subset of at most `limit` records chosen by a fixed seed (independent of the
 * run's seed, so every model and seed of a study sees the same subset), kept in id order.
 */
export function stratifiedSubset(rows: readonly TrainingRecord[], limit: number | null, seed = 20260626): TrainingRecord[] {
  if (limit === null || rows.length <= limit) return [...rows];
  const positives = rows.filter((r) => r.label === 1);
  const negatives = rows.filter((r) => r.label === 0);
  const positiveCount = Math.round((limit * positives.length) / rows.length);
  const pick = (group: TrainingRecord[], count: number, streamSeed: number) =>
    seededPermutation(group.length, streamSeed)
      .slice(0, count)
      .map((i) => group[i]);
  return [...pick(positives, positiveCount, seed), ...pick(negatives, limit - positiveCount, seed + 1)].sort((a, b) => a.recordId - b.recordId);
}
