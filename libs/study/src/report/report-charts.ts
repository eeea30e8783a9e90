import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { AttributionRow, CurveSeries } from './report-data.ts';

/** Renders a Vega-Lite spec to a standalone SVG string (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** ROC curves of every model (one line per model and seed) with the chance diagonal. */
export function rocSpec(title: string, series: CurveSeries[]): TopLevelSpec {
  const values = series.flatMap((s) => s.roc.map((p) => ({ run: `${s.model} s${s.seed}`, model: s.model, fpr: p.fpr, tpr: p.tpr })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 340,
    height: 300,
    layer: [
      {
        data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: '1 − specificity', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'sensitivity', scale: { domain: [0, 1] } },
          color: { field: 'model', type: 'nominal' },
          detail: { field: 'run', type: 'nominal' },
        },
      },
    ],
  };
}

/** Precision-recall curves (step-wise, as average precision integrates them). */
export function prSpec(title: string, series: CurveSeries[], prevalence: number): TopLevelSpec {
  const values = series.flatMap((s) =>
    s.pr.map((p) => ({ run: `${s.model} s${s.seed}`, model: s.model, recall: p.recall, precision: p.precision })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 340,
    height: 300,
    layer: [
      {
        data: { values: [{ x: 0, y: prevalence }, { x: 1, y: prevalence }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-before', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'recall', type: 'quantitative', title: 'recall', scale: { domain: [0, 1] } },
          y: { field: 'precision', type: 'quantitative', title: 'precision', scale: { domain: [0, 1] } },
          color: { field: 'model', type: 'nominal' },
          detail: { field: 'run', type: 'nominal' },
        },
      },
    ],
  };
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
