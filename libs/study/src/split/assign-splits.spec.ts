import { describe, expect, it } from 'vitest';
import { assignSplits, parseSplitFractions, SplitOptionsError, type SplittableRecord, type SplitOptions } from './assign-splits.ts';

const options: SplitOptions = { fractions: { train: 0.6, val: 0.2, test: 0.2 }, seed: 7, by: 'patient', stratify: 'label' };

/** 300 patients with 1-3 records each; a third of the patients abnormal, a few with mixed labels. */
function cohort(): SplittableRecord[] {
  const rows: SplittableRecord[] = [];
  let id = 1;
  for (let p = 0; p < 300; p++) {
    const visits = 1 + (p % 3);
    for (let v = 0; v < visits; v++) {
      const label = p % 3 === 0 ? 'abnormal' : p % 17 === 0 && v === 1 ? 'abnormal' : 'normal';
      rows.push({ id: id++, patientId: `p${p}`, label });
    }
  }
  rows.push({ id: id++, patientId: null, label: 'normal' }, { id: id++, patientId: null, label: 'abnormal' });
  return rows;
}

describe('assignSplits', () => {
  it('assigns every record and never splits a patient across splits', () => {
    const rows = cohort();
    const splits = assignSplits(rows, options);
    expect(splits.size).toBe(rows.length);
    const byPatient = new Map<string, Set<string>>();
    for (const row of rows) {
      if (row.patientId === null) continue;
      const set = byPatient.get(row.patientId) ?? new Set();
      set.add(splits.get(row.id) as string);
      byPatient.set(row.patientId, set);
    }
    expect([...byPatient.values()].every((set) => set.size === 1)).toBe(true);
  });

  it('keeps each label near its share in every split (within one patient of records)', () => {
    const rows = cohort();
    const splits = assignSplits(rows, options);
    for (const label of ['normal', 'abnormal']) {
      const ofLabel = rows.filter((r) => r.label === label);
      for (const [split, fraction] of Object.entries(options.fractions)) {
        const n = ofLabel.filter((r) => splits.get(r.id) === split).length;
        // Groups hold up to 3 records and a mixed group counts under its majority label.
        expect(Math.abs(n - fraction * ofLabel.length), `${label} in ${split}`).toBeLessThanOrEqual(8);
      }
    }
  });

  it('gives the same split for the same seed, whatever the input order, and another for another seed', () => {
    const rows = cohort();
    const a = assignSplits(rows, options);
    const b = assignSplits([...rows].reverse(), options);
    expect([...b.entries()].sort((x, y) => x[0] - y[0])).toEqual([...a.entries()].sort((x, y) => x[0] - y[0]));
    const c = assignSplits(rows, { ...options, seed: 8 });
    expect(rows.filter((r) => a.get(r.id) !== c.get(r.id)).length).toBeGreaterThan(50);
  });

  it('splits records of one patient apart with --by record, and leaves a zero-share split empty', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, patientId: 'same', label: i % 2 ? 'normal' : 'abnormal' }));
    expect(new Set(assignSplits(rows, options).values()).size).toBe(1);
    const byRecord = assignSplits(rows, { ...options, by: 'record', fractions: { train: 0.5, val: 0.5, test: 0 } });
    const counts = { train: 0, val: 0, test: 0 };
    for (const split of byRecord.values()) counts[split]++;
    expect(counts).toEqual({ train: 50, val: 50, test: 0 });
  });

  it('parses train,val,test fractions and rejects ones that do not sum to 1', () => {
    expect(parseSplitFractions('0.6,0.2,0.2')).toEqual({ train: 0.6, val: 0.2, test: 0.2 });
    expect(() => parseSplitFractions('0.6,0.2')).toThrow(SplitOptionsError);
    expect(() => parseSplitFractions('0.6,0.3,0.2')).toThrow(/sum to 1/);
  });
});
