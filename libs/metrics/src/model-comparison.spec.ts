import { describe, expect, it } from 'vitest';
import { compareModels, delongPairedTest, holmAdjust, SingleClassError } from './index.ts';
import { asah } from './testing.ts';

describe('compareModels', () => {
  it('reports n, class balance, per-model AUC/AP with CIs and Holm-adjusted DeLong tests', () => {
    const d = asah();
    const report = compareModels(d.labels, d.scores, { bootstrapResamples: 100, seed: 4 });
    expect(report).toMatchObject({ n: 113, positives: 41, negatives: 72, level: 0.95 });
    expect(report.models.map((m) => m.name)).toEqual(['s100b', 'wfns', 'ndka']);
    // pROC: auc 0.73136856368563685, DeLong CI 0.63011821176162264 - 0.83261891560965107.
    expect(report.models[0].auc).toBeCloseTo(0.73136856368563685, 12);
    expect(report.models[0].aucDelongCi.lower).toBeCloseTo(0.63011821176162264, 12);
    expect(report.models[0].aucBootstrapCi!.lower).toBeLessThan(report.models[0].auc);
    expect(report.comparisons.map((c) => `${c.a}-${c.b}`)).toEqual(['s100b-wfns', 's100b-ndka', 'wfns-ndka']);
    const single = delongPairedTest(d.labels, d.scores.s100b, d.scores.wfns);
    expect(report.comparisons[0].z).toBeCloseTo(single.z, 12);
    expect(report.comparisons.map((c) => c.pValueHolm)).toEqual(holmAdjust(report.comparisons.map((c) => c.pValue)));
  });

  it('skips the bootstrap when asked and names the label field in errors', () => {
    const report = compareModels([0, 1, 0, 1, 1, 0], { m: [0.1, 0.9, 0.3, 0.8, 0.2, 0.4] }, { bootstrapResamples: 0 });
    expect(report.bootstrap).toBeNull();
    expect(report.models[0].aucBootstrapCi).toBeNull();
    expect(report.comparisons).toEqual([]);
    expect(() => compareModels([1, 1], { m: [0.1, 0.2] }, {}, 'outcome')).toThrow(SingleClassError);
    expect(() => compareModels([1, 1], { m: [0.1, 0.2] }, {}, 'outcome')).toThrow(/^outcome: /);
  });
});
