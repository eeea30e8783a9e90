import { createCanvas, loadImage } from '@napi-rs/canvas';
import { LABEL_FONT_FAMILY, registerBundledFonts, withPngDpi } from '@leadwise/render';
import type { TopLevelSpec } from 'vega-lite';
import { attributionSpec, calibrationSpec, prSpec, renderSvg, rocSpec, trainingCurvesSpec } from './report-charts.ts';
import type { StudyReportData } from './report-data.ts';

/** One chart of the report: written as `figures/<file>.svg` and `.png` and shown in index.html. */
export interface FigurePlan {
  file: string;
  title: string;
  spec: TopLevelSpec;
}

export interface RenderedFigure extends FigurePlan {
  svg: string;
}

/**
 * PNG figures are drawn at twice the SVG's CSS pixels (96 per inch), i.e. 192 DPI, and say so in
 * their pHYs chunk, so that printed or placed in a manuscript they keep the SVG's physical size.
 */
export const FIGURE_PNG_SCALE = 2;
export const FIGURE_PNG_DPI = 96 * FIGURE_PNG_SCALE;

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-|-$/g, '');

/** Every chart of the report, in display order, with a stable file name. */
export function planFigures(data: StudyReportData): FigurePlan[] {
  const plans: FigurePlan[] = [];
  for (const c of data.curves) {
    const dataset = data.datasets.find((d) => d.role === c.role);
    const prevalence = dataset && dataset.evaluatedN > 0 ? dataset.evaluatedPositives / dataset.evaluatedN : 0.5;
    plans.push({ file: `roc-${c.role}-${slug(c.dataset)}`, title: `ROC, ${c.role}: ${c.dataset}`, spec: rocSpec(`ROC, ${c.role}: ${c.dataset}`, c.series) });
    plans.push({
      file: `pr-${c.role}-${slug(c.dataset)}`,
      title: `Precision-recall, ${c.role}: ${c.dataset}`,
      spec: prSpec(`Precision-recall, ${c.role}: ${c.dataset}`, c.series, prevalence),
    });
  }
  for (const c of data.curves) {
    for (const model of [...new Set(c.series.map((s) => s.model))]) {
      const series = c.series.filter((s) => s.model === model && (s.reliability?.length ?? 0) > 0);
      if (series.length === 0) continue;
      const title = `Calibration of ${model}, ${c.role}: ${c.dataset}`;
      plans.push({ file: `calibration-${slug(model)}-${c.role}-${slug(c.dataset)}`, title, spec: calibrationSpec(title, series) });
    }
  }
  const curves = data.trainingCurves ?? [];
  for (const model of [...new Set(curves.map((c) => c.model))]) {
    const title = `Training curves of ${model}`;
    plans.push({ file: `training-${slug(model)}`, title, spec: trainingCurvesSpec(title, curves.filter((c) => c.model === model)) });
  }
  for (const key of [...new Set(data.attributions.map((a) => `${a.model}|${a.role}|${a.kind}`))]) {
    const [model, role, kind] = key.split('|');
    const rows = data.attributions.filter((a) => a.model === model && a.role === role && a.kind === kind);
    const title = `${model}: ${kind} by lead group (${role})`;
    plans.push({ file: `attribution-${slug(model)}-${kind}-${role}`, title, spec: attributionSpec(title, rows) });
  }
  return plans;
}

export async function renderFigures(data: StudyReportData): Promise<RenderedFigure[]> {
  const figures: RenderedFigure[] = [];
  for (const plan of planFigures(data)) figures.push({ ...plan, svg: await renderSvg(plan.spec) });
  return figures;
}

/** Rasterises a chart's SVG (Skia, through @napi-rs/canvas) on white, with the bundled font for its text. */
export async function figurePng(svg: string): Promise<Buffer> {
  registerBundledFonts();
  // Vega writes generic `sans-serif`; naming the bundled font first makes the PNG the same on every machine.
  const withFont = svg.replaceAll('font-family="sans-serif"', `font-family="${LABEL_FONT_FAMILY}, sans-serif"`);
  const image = await loadImage(Buffer.from(withFont));
  const canvas = createCanvas(Math.ceil(image.width * FIGURE_PNG_SCALE), Math.ceil(image.height * FIGURE_PNG_SCALE));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  return withPngDpi(await canvas.encode('png'), FIGURE_PNG_DPI);
}
