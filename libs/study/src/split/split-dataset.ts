import { DatasetStore, RECORD_LABELS, RecordStore, SPLITS, type LeadwiseDatabase, type RecordLabel, type Split } from '@leadwise/db';
import { assignSplits, type SplitOptions } from './assign-splits.ts';

/** The dataset already has splits (from its source or an earlier `leadwise split`) and `force` was not given. */
export class SplitExistsError extends Error {
  override name = 'SplitExistsError';
}

export class SplitDatasetError extends Error {
  override name = 'SplitDatasetError';
}

export interface SplitDatasetInput extends SplitOptions {
  /** Overwrite splits the dataset already has. */
  force?: boolean;
}

export interface SplitCount {
  split: Split;
  label: RecordLabel;
  records: number;
}

export interface SplitSummary {
  datasetId: number;
  name: string;
  seed: number;
  by: SplitOptions['by'];
  stratify: SplitOptions['stratify'];
  fractions: SplitOptions['fractions'];
  /** Records that had a split before and now have another (0 on a first split or an identical re-run). */
  changed: number;
  /** Records per split and label, in split then label order. */
  counts: SplitCount[];
  /** Distinct patients per split (records without a patient id count as one patient each). */
  patients: Record<Split, number>;
  /** Patients found in more than one split: 0 whenever `by` is 'patient'. */
  patientsInSeveralSplits: number;
}

/**
 * Splits an imported dataset into train, val and test (see `assignSplits`) and stores the split in
 * its records. Refuses, before writing anything, when the dataset already has splits unless
 * `force` is set, because overwriting folds silently would change every later run's data.
 */
export async function splitDataset(db: LeadwiseDatabase, datasetName: string, input: SplitDatasetInput): Promise<SplitSummary> {
  return db.transaction(async (tx) => {
    const dataset = await new DatasetStore(tx).getByName(datasetName);
    if (!dataset) throw new SplitDatasetError(`dataset "${datasetName}" is not in the database; import it first (leadwise import ...)`);
    return splitDatasetRecords(tx, dataset.id, dataset.name, input);
  });
}

/** The body of `splitDataset` for a dataset id, for callers already inside a transaction (import). */
export async function splitDatasetRecords(db: LeadwiseDatabase, datasetId: number, datasetName: string, input: SplitDatasetInput): Promise<SplitSummary> {
  const rows = await new RecordStore(db).listSplitKeys(datasetId);
  if (rows.length === 0) throw new SplitDatasetError(`dataset "${datasetName}" has no records to split`);
  const existing = rows.filter((r) => r.split !== null);
  if (existing.length > 0 && !input.force) {
    const perSplit = SPLITS.map((s) => `${s} ${existing.filter((r) => r.split === s).length}`).join(', ');
    throw new SplitExistsError(
      `dataset "${datasetName}" already has splits (${perSplit}); add --force to replace them with a new split`,
    );
  }
  const assignment = assignSplits(rows, input);
  await new RecordStore(db).setSplits(datasetId, assignment);

  const counts: SplitCount[] = [];
  for (const split of SPLITS) {
    for (const label of RECORD_LABELS) {
      const n = rows.filter((r) => assignment.get(r.id) === split && r.label === label).length;
      if (n > 0) counts.push({ split, label, records: n });
    }
  }
  const splitsOfPatient = new Map<string, Set<Split>>();
  for (const row of rows) {
    const key = row.patientId === null ? `r:${row.id}` : `p:${row.patientId}`;
    const set = splitsOfPatient.get(key) ?? new Set<Split>();
    set.add(assignment.get(row.id) as Split);
    splitsOfPatient.set(key, set);
  }
  const patients: Record<Split, number> = { train: 0, val: 0, test: 0 };
  for (const set of splitsOfPatient.values()) for (const split of set) patients[split]++;
  return {
    datasetId,
    name: datasetName,
    seed: input.seed,
    by: input.by,
    stratify: input.stratify,
    fractions: input.fractions,
    changed: rows.filter((r) => r.split !== null && r.split !== assignment.get(r.id)).length,
    counts,
    patients,
    patientsInSeveralSplits: [...splitsOfPatient.values()].filter((set) => set.size > 1).length,
  };
}
