import { SCORE_SOURCES } from '@leadwise/ecg';
import { cohenKappa, fleissKappa, type KappaResult } from './agreement.ts';
import type { LlmResponseRecord, ScoreSource } from './response-record.ts';

export interface ScoreSourceSummary {
  counts: Record<ScoreSource, number>;
  /** The single source of every scored answer, or `mixed`; `none` when nothing was scored. */
  scoreSource: ScoreSource | 'mixed';
  /** Every score is a bare 1/0 label: any "AUC" from them is balanced accuracy, not a ranking AUC. */
  hardLabelOnly: boolean;
}

export function summarizeScoreSources(records: readonly Pick<LlmResponseRecord, 'scoreSource'>[]): ScoreSourceSummary {
  const counts = Object.fromEntries(SCORE_SOURCES.map((source) => [source, 0])) as Record<ScoreSource, number>;
  for (const record of records) counts[record.scoreSource]++;
  const used = SCORE_SOURCES.filter((source) => source !== 'none' && counts[source] > 0);
  return {
    counts,
    scoreSource: used.length === 0 ? 'none' : used.length === 1 ? used[0] : 'mixed',
    hardLabelOnly: used.length === 1 && used[0] === 'hard-label',
  };
}

export interface RepeatAgreement {
  repeats: number[];
  /** Fleiss' kappa of the labels over images every repeat labelled. */
  fleiss: KappaResult;
  /** Cohen's kappa between each pair of repeats. */
  pairs: { a: number; b: number; kappa: KappaResult }[];
}

/** How consistently repeated runs label the same image (unparsed and failed answers left out). */
export function repeatAgreement(records: readonly Pick<LlmResponseRecord, 'imageSha256' | 'repeat' | 'label'>[]): RepeatAgreement {
  const repeats = [...new Set(records.map((r) => r.repeat))].sort((a, b) => a - b);
  const byImage = new Map<string, Map<number, string | null>>();
  for (const record of records) {
    const row = byImage.get(record.imageSha256) ?? new Map<number, string | null>();
    row.set(record.repeat, record.label);
    byImage.set(record.imageSha256, row);
  }
  const matrix = [...byImage.values()].map((row) => repeats.map((repeat) => row.get(repeat) ?? null));
  const pairs: RepeatAgreement['pairs'] = [];
  for (let i = 0; i < repeats.length; i++) {
    for (let j = i + 1; j < repeats.length; j++) {
      pairs.push({ a: repeats[i], b: repeats[j], kappa: cohenKappa(matrix.map((r) => r[i]), matrix.map((r) => r[j])) });
    }
  }
  return { repeats, fleiss: repeats.length >= 2 ? fleissKappa(matrix) : { kappa: null, n: 0, observedAgreement: null, expectedAgreement: null }, pairs };
}
