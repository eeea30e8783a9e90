import { SPLITS, type Split } from '@leadwise/db';
import { createRandom, randomInt } from '@leadwise/ecg';

/** Fractions of records for train, val and test; they must sum to 1. */
export interface SplitFractions {
  train: number;
  val: number;
  test: number;
}

export interface SplitOptions {
  fractions: SplitFractions;
  seed: number;
  /** 'patient': all records of one patient land in one split (no patient leakage); 'record': each record alone. */
  by: 'patient' | 'record';
  /** 'label': each label keeps its share in every split; 'none': groups are dealt regardless of label. */
  stratify: 'label' | 'none';
}

export interface SplittableRecord {
  id: number;
  patientId: string | null;
  label: string;
}

export class SplitOptionsError extends Error {
  override name = 'SplitOptionsError';
}

const SPLIT_ORDER: readonly Split[] = SPLITS;

/** `0.6,0.2,0.2` -> fractions; the order is train, val, test. */
export function parseSplitFractions(text: string): SplitFractions {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p))) {
    throw new SplitOptionsError(`split fractions must be three numbers train,val,test such as 0.6,0.2,0.2, got "${text}"`);
  }
  return validateSplitFractions({ train: parts[0], val: parts[1], test: parts[2] });
}

export function validateSplitFractions(fractions: SplitFractions): SplitFractions {
  const values = SPLIT_ORDER.map((s) => fractions[s]);
  if (values.some((v) => !Number.isFinite(v) || v < 0 || v > 1)) {
    throw new SplitOptionsError(`split fractions must each lie in [0, 1], got ${values.join(', ')}`);
  }
  const sum = values.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) throw new SplitOptionsError(`split fractions must sum to 1, got ${values.join(' + ')} = ${Number(sum.toFixed(6))}`);
  return fractions;
}

/**
 * Assigns every record to train, val or test. Records are grouped (by patient, or one group per
 * record; a record without a patient id is its own group), each group takes the stratum of its most
 * frequent label, and within a stratum the groups, in a seeded shuffle, go one at a time to the split
 * furthest below its target share of that stratum's records. The result depends only on the records
 * (taken in id order), the options and the seed: a re-run gives the same split.
 */
export function assignSplits(records: readonly SplittableRecord[], options: SplitOptions): Map<number, Split> {
  validateSplitFractions(options.fractions);
  const sorted = [...records].sort((a, b) => a.id - b.id);
  const groups = new Map<string, SplittableRecord[]>();
  for (const record of sorted) {
    const key = options.by === 'patient' && record.patientId !== null ? `p:${record.patientId}` : `r:${record.id}`;
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  const strata = new Map<string, SplittableRecord[][]>();
  for (const group of groups.values()) {
    const stratum = options.stratify === 'label' ? majorityLabel(group) : 'all';
    const list = strata.get(stratum);
    if (list) list.push(group);
    else strata.set(stratum, [group]);
  }

  const assignment = new Map<number, Split>();
  // Strata in a fixed order so the random stream each one draws does not depend on Map insertion.
  const stratumNames = [...strata.keys()].sort();
  const random = createRandom(options.seed);
  for (const name of stratumNames) {
    const stratumGroups = strata.get(name) ?? [];
    for (let i = stratumGroups.length - 1; i > 0; i--) {
      const j = randomInt(random, i + 1);
      [stratumGroups[i], stratumGroups[j]] = [stratumGroups[j], stratumGroups[i]];
    }
    const total = stratumGroups.reduce((n, g) => n + g.length, 0);
    const filled: Record<Split, number> = { train: 0, val: 0, test: 0 };
    for (const group of stratumGroups) {
      const split = mostUnderfilled(filled, options.fractions, total);
      filled[split] += group.length;
      for (const record of group) assignment.set(record.id, split);
    }
  }
  return assignment;
}

/** The split whose filled count is furthest below its target; ties go to the earlier split. */
function mostUnderfilled(filled: Record<Split, number>, fractions: SplitFractions, total: number): Split {
  let best: Split = 'train';
  let bestDeficit = -Infinity;
  for (const split of SPLIT_ORDER) {
    if (fractions[split] === 0) continue;
    const deficit = fractions[split] * total - filled[split];
    if (deficit > bestDeficit + 1e-9) {
      best = split;
      bestDeficit = deficit;
    }
  }
  return best;
}

function majorityLabel(group: readonly SplittableRecord[]): string {
  const counts = new Map<string, number>();
  for (const record of group) counts.set(record.label, (counts.get(record.label) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
}
