import { describe, expect, it } from 'vitest';
import { delongAucCi, delongPairedTest, delongUnpairedTest, prCurve, rocAuc, studentTCdf, studentTQuantile } from './index.ts';
import { asah, hard1000, allTied, separated1000, small4, ties1000, type ReferenceDataset } from './testing.ts';

/*
 * Reference values from independent implementations, on the datasets of testing.ts (the same
 * formulas as tools/reference/metrics_datasets.py). Reproduce with:
 *   /usr/bin/python3 tools/reference/sklearn_metrics_reference.py   (Debian python3-sklearn 1.2.1)
 *   Rscript tools/reference/pROC_delong_reference.R                 (Debian r-cran-proc 1.18.0)
 * The numbers below are pasted from their output. Required agreement: 1e-9 on AUC and AP,
 * 1e-6 on DeLong z and p (p also relative, for p-values far in the tail).
 */

// scikit-learn: roc_auc_score, average_precision_score, auc(recall, precision) of precision_recall_curve.
const SKLEARN: Record<string, Record<string, { auc: number; ap: number; trapezoid: number }>> = {
  ties1000: {
    a: { auc: 0.7850238095238095, ap: 0.6376313809038991, trapezoid: 0.6601879201657554 },
    b: { auc: 0.6489785714285714, ap: 0.4820150142867391, trapezoid: 0.5004924104948536 },
    c: { auc: 0.8194119047619048, ap: 0.7290601966355117, trapezoid: 0.7291216081580617 },
  },
  separated1000: {
    strong: { auc: 0.9951125, ap: 0.9929953782065479, trapezoid: 0.9931013515828742 },
    weak: { auc: 0.6588854166666667, ap: 0.6161881329351427, trapezoid: 0.6159762103966611 },
  },
  hard1000: { pred: { auc: 0.75, ap: 0.45192307692307687, trapezoid: 0.6567307692307691 } },
  small4: {
    s: { auc: 0.75, ap: 0.8333333333333333, trapezoid: 0.7916666666666666 },
    t: { auc: 1.0, ap: 1.0, trapezoid: 1.0 },
  },
  alltied: { s: { auc: 0.5, ap: 0.3333333333333333, trapezoid: 0.6666666666666666 } },
};

// pROC: auc(), var(method = "delong"), ci.auc(method = "delong") per model (direction "<").
const PROC_SINGLE: Record<string, Record<string, { auc: number; variance: number; lower: number; upper: number }>> = {
  ties1000: {
    a: { auc: 0.78502380952380957, variance: 0.00023120218310209781, lower: 0.75522190244319987, upper: 0.81482571660441905 },
    b: { auc: 0.6489785714285714, variance: 0.0003563313695990084, lower: 0.61198083794615221, upper: 0.68597630491099082 },
    c: { auc: 0.81941190476190473, variance: 0.00018964309367510432, lower: 0.79242105195985446, upper: 0.84640275756395522 },
  },
  separated1000: {
    strong: { auc: 0.99511249999999996, variance: 1.2469298825283856e-6, lower: 0.99292388633011075, upper: 0.99730111366988916 },
    weak: { auc: 0.65888541666666667, variance: 0.0003045539888861823, lower: 0.62468115367234966, upper: 0.69308967966098367 },
  },
  hard1000: { pred: { auc: 0.75, variance: 0.00026424791287982371, lower: 0.71813940559590561, upper: 0.78186059440409439 } },
  small4: {
    s: { auc: 0.75, variance: 0.125, lower: 0.057048087825161242, upper: 1 },
    t: { auc: 1, variance: 0, lower: 1, upper: 1 },
  },
  asah: {
    s100b: { auc: 0.73136856368563685, variance: 0.0026686824571724378, lower: 0.63011821176162264, upper: 0.83261891560965107 },
    wfns: { auc: 0.82367886178861793, variance: 0.0014699147088236264, lower: 0.74853488781945288, upper: 0.89882283575778299 },
    ndka: { auc: 0.61195799457994582, variance: 0.0031908105493913021, lower: 0.50124499927170263, upper: 0.72267098988818901 },
  },
};

// pROC: roc.test(roc(y, a), roc(y, b), method = "delong", paired = TRUE): statistic, p.value, conf.int.
const PROC_PAIRED: Record<string, Record<string, { z: number; p: number; lower: number; upper: number }>> = {
  ties1000: {
    'a-b': { z: 5.6067366329536314, p: 2.0617702544774508e-8, lower: 0.088487490266020791, upper: 0.18360298592445509 },
    'a-c': { z: -1.7085293707232254, p: 0.087538161395544434, lower: -0.073836892149950581, upper: 0.0050607016737598126 },
    'b-c': { z: -7.4053113247487943, p: 1.3084314552869681e-13, lower: -0.2155419291032451, upper: -0.12532473756342155 },
  },
  separated1000: {
    'strong-weak': { z: 19.835156822507308, p: 1.4805400455746337e-87, lower: 0.30300360141901289, upper: 0.36945056524765368 },
  },
  small4: { 's-t': { z: -0.70710678118654746, p: 0.47950012218695348, lower: -0.94295191217483876, upper: 0.44295191217483876 } },
  asah: {
    's100b-wfns': { z: -2.2089835914409077, p: 0.02717578222918815, lower: -0.17421441924947756, upper: -0.010406176956484617 },
    's100b-ndka': { z: 1.3907700257355771, p: 0.16429517522305448, lower: -0.048870606422809354, upper: 0.28769174463419145 },
    'wfns-ndka': { z: 2.7977759186890387, p: 0.0051455797069109776, lower: 0.063401170933987644, upper: 0.36004056348335656 },
  },
};

const DATASETS: Record<string, () => ReferenceDataset> = { ties1000, separated1000, hard1000, small4, alltied: allTied, asah };

function expectP(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThan(1e-6);
  expect(Math.abs(actual - expected) / expected).toBeLessThan(1e-6);
}

describe('agreement with scikit-learn (AUC, AP to 1e-9)', () => {
  for (const [name, models] of Object.entries(SKLEARN)) {
    for (const [model, ref] of Object.entries(models)) {
      it(`${name}/${model}`, () => {
        const d = DATASETS[name]();
        const pr = prCurve(d.labels, d.scores[model]);
        expect(Math.abs(rocAuc(d.labels, d.scores[model]).auc - ref.auc)).toBeLessThan(1e-9);
        expect(Math.abs(pr.averagePrecision - ref.ap)).toBeLessThan(1e-9);
        expect(Math.abs(pr.trapezoidAuc - ref.trapezoid)).toBeLessThan(1e-9);
      });
    }
  }
});

describe('agreement with pROC DeLong', () => {
  for (const [name, models] of Object.entries(PROC_SINGLE)) {
    for (const [model, ref] of Object.entries(models)) {
      it(`AUC, variance and CI: ${name}/${model}`, () => {
        const d = DATASETS[name]();
        const ci = delongAucCi(d.labels, d.scores[model]);
        expect(Math.abs(ci.auc - ref.auc)).toBeLessThan(1e-9);
        expect(Math.abs(ci.variance - ref.variance)).toBeLessThan(1e-12);
        expect(Math.abs(ci.lower - ref.lower)).toBeLessThan(1e-9);
        expect(Math.abs(ci.upper - ref.upper)).toBeLessThan(1e-9);
      });
    }
  }

  for (const [name, pairs] of Object.entries(PROC_PAIRED)) {
    for (const [pair, ref] of Object.entries(pairs)) {
      it(`paired test z, p (1e-6) and CI of the difference: ${name}/${pair}`, () => {
        const d = DATASETS[name]();
        const [a, b] = pair.split('-');
        const test = delongPairedTest(d.labels, d.scores[a], d.scores[b]);
        expect(Math.abs(test.z - ref.z)).toBeLessThan(1e-6);
        expectP(test.pValue, ref.p);
        expect(Math.abs(test.lower - ref.lower)).toBeLessThan(1e-9);
        expect(Math.abs(test.upper - ref.upper)).toBeLessThan(1e-9);
      });
    }
  }

  it('unpaired test: model a on the first 500 of ties1000 against b on the last 500', () => {
    // pROC: roc.test(..., method = "delong", paired = FALSE) -> D, df (Welch), p = 2 pt(-|D|, df).
    const d = ties1000();
    const test = delongUnpairedTest(
      { labels: d.labels.subarray(0, 500), scores: d.scores.a.subarray(0, 500) },
      { labels: d.labels.subarray(500), scores: d.scores.b.subarray(500) },
    );
    expect(Math.abs(test.z - 4.1011832376175814)).toBeLessThan(1e-6);
    expect(Math.abs(test.df - 950.17643915914778)).toBeLessThan(1e-6);
    expectP(test.pValue, 4.4624215386324747e-5);
  });

  it("Student's t matches R's pt and qt", () => {
    expect(Math.abs(studentTQuantile(0.975, 950.18) - 1.9624637683193282)).toBeLessThan(1e-10);
    expectP(studentTCdf(-2.5, 3.7), 0.035911011455913376);
    expectP(studentTCdf(-40, 12.5), 7.1457664818584916e-15);
  });
});
