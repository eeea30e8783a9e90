import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { AttributionRow, CurveSeries, TrainingCurve } from './report-data.ts';

/** Renders a Vega-Lite spec to a standalone SVG string (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

interface CurveChart {
  title: string;
  /** The dashed reference line: chance diagonal (ROC) or prevalence (PR). */
  reference: { x: number; y: number }[];
  values: Record<string, string | number>[];
  interpolate: 'step-after' | 'step-before';
  x: { field: string; title: string };
  y: { field: string; title: string };
}

/** One line per model and seed over a dashed reference line, both axes on [0, 1]. */
function curveSpec(chart: CurveChart): TopLevelSpec {
  const axis = (a: { field: string; title: string }) => ({ ...a, type: 'quantitative' as const, scale: { domain: [0, 1] } });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: 340,
    height: 300,
    layer: [
      {
        data: { values: chart.reference },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: chart.values },
        mark: { type: 'line', interpolate: chart.interpolate, strokeWidth: 1.5 },
        encoding: {
          x: axis(chart.x),
          y: axis(chart.y),
          color: { field: 'model', type: 'nominal' },
          detail: { field: 'run', type: 'nominal' },
        },
      },
    ],
  };
}

/** ROC curves of every model (one line per model and seed) with the chance diagonal. */
export function rocSpec(title: string, series: CurveSeries[]): TopLevelSpec {
  return curveSpec({
    title,
    reference: [{ x: 0, y: 0 }, { x: 1, y: 1 }],
    values: series.flatMap((s) => s.roc.map((p) => ({ run: `${s.model} s${s.seed}`, model: s.model, fpr: p.fpr, tpr: p.tpr }))),
    interpolate: 'step-after',
    x: { field: 'fpr', title: '1 − specificity' },
    y: { field: 'tpr', title: 'sensitivity' },
  });
}

/** Precision-recall curves (step-wise, as average precision integrates them). */
export function prSpec(title: string, series: CurveSeries[], prevalence: number): TopLevelSpec {
  return curveSpec({
    title,
    reference: [{ x: 0, y: prevalence }, { x: 1, y: prevalence }],
    values: series.flatMap((s) => s.pr.map((p) => ({ run: `${s.model} s${s.seed}`, model: s.model, recall: p.recall, precision: p.precision }))),
    interpolate: 'step-before',
    x: { field: 'recall', title: 'recall' },
    y: { field: 'precision', title: 'precision' },
  });
}

/** Mean lead-group attribution per group, split by true label, with ±1 SD error bars. */
export function attributionSpec(title: string, rows: AttributionRow[]): TopLevelSpec {
  const values = rows.map((r) => ({ ...r, low: r.mean - r.sd, high: r.mean + r.sd }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: { column: { field: 'label', type: 'nominal', title: 'true label' } },
    spec: {
      width: 220,
      height: 180,
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: { field: 'group', type: 'nominal', title: 'lead group' },
            y: { field: 'mean', type: 'quantitative', title: 'mean weight' },
            color: { field: 'group', type: 'nominal', legend: null },
          },
        },
        {
          mark: 'rule',
          encoding: {
            x: { field: 'group', type: 'nominal' },
            y: { field: 'low', type: 'quantitative' },
            y2: { field: 'high' },
          },
        },
      ],
    },
  };
}

/** Reliability diagram of one model: observed abnormal rate against mean predicted probability per bin, one line per seed. */
export function calibrationSpec(title: string, series: CurveSeries[]): TopLevelSpec {
  const values = series.flatMap((s) => (s.reliability ?? []).map((b) => ({ run: `seed ${s.seed}`, predicted: b.meanPredicted, observed: b.observedRate, records: b.count })));
  const axis = (field: string, axisTitle: string) => ({ field, title: axisTitle, type: 'quantitative' as const, scale: { domain: [0, 1] } });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 300,
    height: 300,
    layer: [
      {
        data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', point: true, strokeWidth: 1.5 },
        encoding: {
          x: axis('predicted', 'mean predicted probability of abnormal'),
          y: axis('observed', 'observed fraction abnormal'),
          color: { field: 'run', type: 'nominal', title: null },
          tooltip: [{ field: 'records', type: 'quantitative' }],
        },
      },
    ],
  };
}

/** Training curves of one model: loss (train and validation) and validation ROC-AUC per epoch, one line per seed. */
export function trainingCurvesSpec(title: string, curves: TrainingCurve[]): TopLevelSpec {
  const loss = curves.flatMap((c) =>
    c.epochs.flatMap((e) => [
      ...(e.trainLoss === null ? [] : [{ run: `seed ${c.seed}`, epoch: e.epoch, split: 'train', value: e.trainLoss }]),
      ...(e.valLoss === null ? [] : [{ run: `seed ${c.seed}`, epoch: e.epoch, split: 'validation', value: e.valLoss }]),
    ]),
  );
  const auc = curves.flatMap((c) => c.epochs.flatMap((e) => (e.valRocAuc === null ? [] : [{ run: `seed ${c.seed}`, epoch: e.epoch, value: e.valRocAuc }])));
  const epoch = { field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: { tickMinStep: 1 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    hconcat: [
      {
        width: 260,
        height: 220,
        data: { values: loss },
        mark: { type: 'line', point: true },
        encoding: {
          x: epoch,
          y: { field: 'value', type: 'quantitative', title: 'loss (binary cross-entropy)' },
          color: { field: 'run', type: 'nominal', title: null },
          strokeDash: { field: 'split', type: 'nominal', title: null },
        },
      },
      {
        width: 260,
        height: 220,
        data: { values: auc },
        mark: { type: 'line', point: true },
        encoding: {
          x: epoch,
          y: { field: 'value', type: 'quantitative', title: 'validation ROC-AUC', scale: { zero: false } },
          color: { field: 'run', type: 'nominal', title: null },
        },
      },
    ],
  };
}
