import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { figurePng, planFigures, renderFigures, type RenderedFigure } from './report-figures.ts';
import type { Estimate, ModelSection, ResultRow, StudyReportData } from './report-data.ts';
import { STUDY_ROLES, type StudyRole } from '../summary/study-summary.ts';

export interface WrittenReport {
  dir: string;
  htmlPath: string;
  markdownPath: string;
  csvPaths: string[];
  /** Every chart as `figures/<name>.svg` and `.png`. */
  figurePaths: string[];
}

const fmt = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
const fmtP = (p: number): string => (!Number.isFinite(p) ? '—' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));
/** "0.931 ± 0.004 (0.912–0.948)": mean ± SD over seeds, then the 95% CI. */
export const fmtEstimate = (e: Estimate): string =>
  e.perSeed.length > 1
    ? `${fmt(e.mean)} ± ${fmt(e.sd)} (${fmt(e.ciLow)}–${fmt(e.ciHigh)})`
    : `${fmt(e.mean)} (${fmt(e.ciLow)}–${fmt(e.ciHigh)})`;

/** The plain-language findings: what was measured, with numbers, and where the evidence is weak. */
export function summarise(data: StudyReportData): string[] {
  const lines: string[] = [];
  const byRole = (role: StudyRole) => data.results.filter((r) => r.role === role);
  for (const role of STUDY_ROLES) {
    const rows = byRole(role);
    if (rows.length === 0) continue;
    const best = [...rows].sort((a, b) => b.rocAuc.mean - a.rocAuc.mean)[0];
    const dataset = data.datasets.find((d) => d.role === role);
    lines.push(
      `On the ${role} test set (${dataset?.name}, n = ${best.n}, ${best.positives} abnormal), the best CNN was ${best.model} ` +
        `with ROC-AUC ${fmtEstimate(best.rocAuc)} and PR-AUC ${fmtEstimate(best.prAuc)}` +
        (data.seeds.length > 1 ? ` over ${best.rocAuc.perSeed.length} seeds.` : ' (one seed).'),
    );
    const leadgroup = rows.find((r) => r.model === 'leadgroup');
    const backbone = rows.find((r) => r.model === 'resnet18');
    if (leadgroup && backbone) {
      const pairs = data.comparisons.filter((c) => c.role === role && c.modelA === 'leadgroup' && c.modelB === 'resnet18');
      const tests = pairs.filter((c) => c.seed !== 'pooled');
      const significant = tests.filter((c) => c.pHolm < 0.05).length;
      const higher = tests.filter((c) => c.difference > 0).length;
      const pooled = pairs.find((c) => c.seed === 'pooled');
      lines.push(
        `LeadGroupECG vs its ResNet18 backbone (${role}): ${fmt(leadgroup.rocAuc.mean)} vs ${fmt(backbone.rocAuc.mean)} ROC-AUC; ` +
          `higher in ${higher} of ${tests.length} seed(s); the DeLong difference was significant after Holm correction in ${significant} of ${tests.length} seed(s)` +
          (pooled ? `; seed-mean difference ${fmt(pooled.difference)} (95% CI ${fmt(pooled.ciLow)} to ${fmt(pooled.ciHigh)}), pooled DeLong p = ${fmtP(pooled.p)}.` : '.'),
      );
    }
  }
  if (data.llm.skippedReason) {
    lines.push(`The zero-shot LLM arm was skipped: ${data.llm.skippedReason}.`);
  } else {
    for (const row of data.llm.rows.filter((r) => r.repeat === 'pooled')) {
      lines.push(
        `${row.model} (${row.style} pages, ${row.n} answers, ${row.parsed} parsed, score from ${row.scoreSource}): ROC-AUC ${fmt(row.rocAuc)}` +
          (row.rocCi ? ` (${fmt(row.rocCi[0])}–${fmt(row.rocCi[1])})` : '') +
          (row.hardLabel ? ' — hard labels only, so this "AUC" equals balanced accuracy' : '') +
          '.',
      );
    }
  }
  const external = data.datasets.find((d) => d.role === 'external');
  const weak: string[] = [];
  if (external && external.evaluatedN < 1000) weak.push(`the external set is small (n = ${external.evaluatedN}), so its CIs are wide`);
  if (data.seeds.length < 3) weak.push(`only ${data.seeds.length} seed(s) were trained, so seed-to-seed spread is not estimated`);
  if (data.experiment.profile === 'quick') weak.push('this is the quick profile: small inputs, small subsets and short training; its numbers are a smoke test, not a result');
  if (!data.llm.skippedReason && data.llm.prompts.length <= 1) weak.push('the LLM arm used a single prompt');
  if (weak.length) lines.push(`Where the evidence is weak: ${weak.join('; ')}.`);
  return lines;
}

function markdownTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function resultTableRows(rows: ResultRow[]): string[][] {
  return rows.map((r) => [r.model, `${r.role} (${r.dataset})`, String(r.n), fmtEstimate(r.rocAuc), fmtEstimate(r.prAuc)]);
}

const FIGURES_NOTE = 'ROC, PR, calibration, training-curve and attribution charts are in `index.html` and, as SVG and PNG files, under `figures/` (see Figures).';

export function renderMarkdown(data: StudyReportData): string {
  const parts: string[] = [];
  parts.push(`# Study report: ${data.experiment.name}`);
  parts.push(
    `Experiment ${data.experiment.id}, profile **${data.experiment.profile}**, config hash \`${data.experiment.configHash.slice(0, 16)}\`, ` +
      `commit \`${data.experiment.commit}\`, created ${data.experiment.createdAt}, wall time ${(data.experiment.wallTimeS / 60).toFixed(1)} min.`,
  );
  parts.push('## Summary', ...summarise(data).map((l) => `- ${l}`));
  parts.push('## Data');
  for (const d of data.datasets) {
    parts.push(`### ${d.role}: ${d.name} (${d.kind}, ${d.records} records)`, `Source: \`${d.source}\`. Label rule: ${d.labelRule}.`);
    parts.push(markdownTable(['split', 'normal', 'abnormal', 'excluded'], d.balance.map((b) => [b.split, String(b.normal), String(b.abnormal), String(b.excluded)])));
    parts.push(`Evaluated on split \`${d.evaluatedSplit}\`: n = ${d.evaluatedN}, ${d.evaluatedPositives} abnormal.`);
    if (d.fileHashes.length) parts.push(markdownTable(['input file', 'sha256'], d.fileHashes.map((h) => [h.file, `\`${h.sha256}\``])));
  }
  parts.push('## Methods', '### Rendering', markdownTable(['parameter', 'value'], Object.entries(data.render).map(([k, v]) => [k, String(v)])));
  parts.push('### Models', markdownTable(['model', 'parameters', 'input', 'backend', 'description'], data.models.map((m) => [m.model, m.parameterCount.toLocaleString('en-US'), m.inputSize, m.backend, m.description])));
  const { shared, perModel } = splitTrainingSettings(data.models);
  parts.push(`Seeds: ${data.seeds.join(', ')}. Training (all models): ${Object.entries(shared).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  if (perModel.keys.length > 0) {
    parts.push('Training settings that differ between models:', markdownTable(['model', ...perModel.keys], perModel.rows));
  }
  parts.push(`Statistics: stratified bootstrap (${data.statistics.bootstrapResamples} resamples) ${data.statistics.confidenceLevel * 100}% CIs; DeLong (Sun & Xu 2014) paired tests with Holm correction.`);
  parts.push('### LLM prompts');
  for (const p of data.llm.prompts) parts.push(`**${p.name}** v${p.version}, sha256 \`${p.sha256}\`:`, '```text', p.text, '```');
  parts.push('## Results', '### ROC-AUC and PR-AUC (mean ± SD over seeds, 95% CI)');
  parts.push(markdownTable(['model', 'test set', 'n', 'ROC-AUC', 'PR-AUC'], resultTableRows(data.results)));
  parts.push('### Sensitivity, specificity and calibration (threshold: Youden on validation)');
  parts.push(markdownTable(['model', 'test set', 'sensitivity', 'specificity', 'Brier', 'ECE'], data.results.map((r) => [r.model, r.role, fmtEstimate(r.sensitivity), fmtEstimate(r.specificity), fmtEstimate(r.brier), fmtEstimate(r.ece)])));
  parts.push('### Paired DeLong tests (per seed, Holm-adjusted)');
  parts.push(markdownTable(['test set', 'seed', 'A', 'B', 'AUC A', 'AUC B', 'Δ (95% CI)', 'z', 'p', 'p (Holm)'], data.comparisons.map((c) => [c.role, String(c.seed), c.modelA, c.modelB, fmt(c.aucA), fmt(c.aucB), `${fmt(c.difference)} (${fmt(c.ciLow)}–${fmt(c.ciHigh)})`, fmt(c.z, 2), fmtP(c.p), fmtP(c.pHolm)])));
  parts.push(FIGURES_NOTE);
  parts.push('### Lead-group attributions');
  parts.push(markdownTable(['model', 'test set', 'label', 'kind', 'group', 'mean', 'SD', 'n'], data.attributions.map((a) => [a.model, a.role, a.label, a.kind, a.group, fmt(a.mean), fmt(a.sd), String(a.n)])));
  parts.push('### Zero-shot LLMs');
  if (data.llm.skippedReason) parts.push(`Skipped: ${data.llm.skippedReason}.`);
  else parts.push(markdownTable(['provider', 'model', 'style', 'repeat', 'n', 'parsed', 'ROC-AUC', 'PR-AUC', 'score from', 'hard labels'], data.llm.rows.map((r) => [r.provider, r.model, r.style, String(r.repeat), String(r.n), String(r.parsed), fmt(r.rocAuc), fmt(r.prAuc), r.scoreSource, r.hardLabel ? 'yes' : 'no'])));
  parts.push(...figureLinks(data));
  return `${parts.join('\n\n')}\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** Minimal Markdown-table-aware HTML: the report's Markdown is regular enough to convert line by line. */
function markdownToHtml(markdown: string): string {
  const out: string[] = [];
  const blocks = markdown.split(/\n\n/);
  for (const block of blocks) {
    if (block.startsWith('```')) {
      out.push(`<pre>${escapeHtml(block.replace(/^```\w*\n?/, '').replace(/\n?```$/, ''))}</pre>`);
    } else if (block.startsWith('|')) {
      const lines = block.split('\n').filter((l) => !/^\|(-+\|)+$/.test(l) && !/^\|---/.test(l));
      const cells = (l: string) => l.slice(1, -1).split(' | ').map((c) => inline(c.trim()));
      out.push(`<table><thead><tr>${cells(lines[0]).map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${lines.slice(1).map((l) => `<tr>${cells(l).map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    } else if (/^#{1,4} /.test(block)) {
      const level = block.match(/^#+/)![0].length;
      out.push(`<h${level}>${inline(block.slice(level + 1))}</h${level}>`);
    } else if (block.startsWith('- ')) {
      out.push(`<ul>${block.split('\n').map((l) => `<li>${inline(l.slice(2))}</li>`).join('')}</ul>`);
    } else {
      out.push(`<p>${inline(block)}</p>`);
    }
  }
  return out.join('\n');
}

function inline(text: string): string {
  return escapeHtml(text)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');
}

function chartsHtml(data: StudyReportData, figures: readonly RenderedFigure[]): string {
  const parts: string[] = ['<h2>Curves and attributions</h2><div class="charts">'];
  for (const figure of figures) parts.push(`<figure>${figure.svg}</figure>`);
  parts.push('</div><h2>Example pages</h2><div class="pages">');
  for (const page of data.examplePages) {
    const weights = page.groupWeights
      ? `<figcaption>${Object.entries(page.groupWeights).map(([g, w]) => `${escapeHtml(g)} ${w.toFixed(2)}`).join(' · ')}</figcaption>`
      : '';
    parts.push(`<figure><img alt="${escapeHtml(page.caption)}" src="${page.pngDataUri}"><figcaption>${escapeHtml(page.caption)}</figcaption>${weights}</figure>`);
  }
  parts.push('</div>');
  return parts.join('\n');
}

/** The Figures section of report.md: each chart's title linking its SVG, then its PNG. */
function figureLinks(data: StudyReportData): string[] {
  const plans = planFigures(data);
  if (plans.length === 0) return [];
  return ['## Figures', plans.map((f) => `- [${f.title}](figures/${f.file}.svg) ([PNG](figures/${f.file}.png))`).join('\n')];
}

export async function renderHtml(data: StudyReportData, figures?: readonly RenderedFigure[]): Promise<string> {
  const markdown = renderMarkdown(data).replace(FIGURES_NOTE, '');
  // The HTML shows the charts inline; its Figures section would only repeat them as links.
  const body = markdownToHtml(markdown.slice(0, markdown.includes('\n## Figures') ? markdown.indexOf('\n## Figures') : undefined));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(data.experiment.name)} — Leadwise study report</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.2rem;font-size:.9rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
th{background:#f3f3f3}code{font-size:.85em}pre{background:#f7f7f7;padding:.6rem;white-space:pre-wrap}
.charts,.pages{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}.pages img{max-width:520px;border:1px solid #ddd}
</style></head><body>
${body}
${chartsHtml(data, figures ?? (await renderFigures(data)))}
</body></html>
`;
}

function csv(header: string[], rows: (string | number | null)[][]): string {
  const cell = (v: string | number | null) => (v === null ? '' : typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return `${[header, ...rows].map((r) => r.map(cell).join(',')).join('\n')}\n`;
}

/** Writes index.html, report.md and CSVs into `<outDir>/<experiment>/`, each file atomically. */
export async function writeReport(data: StudyReportData, outDir: string): Promise<WrittenReport> {
  const dir = join(outDir, String(data.experiment.name).replace(/[^\w.-]+/g, '-') + `-${data.experiment.id}`);
  await mkdir(dir, { recursive: true });
  const figures = await renderFigures(data);
  const files: [string, string | Buffer][] = [
    ['report.md', renderMarkdown(data)],
    ['index.html', await renderHtml(data, figures)],
    ['results.csv', csv(['model', 'role', 'dataset', 'n', 'positives', 'metric', 'seed', 'value', 'ci_low', 'ci_high'], data.results.flatMap((r) => (['rocAuc', 'prAuc', 'sensitivity', 'specificity', 'brier', 'ece'] as const).flatMap((m) => r[m].perSeed.map((s) => [r.model, r.role, r.dataset, r.n, r.positives, m, s.seed, s.value, s.ciLow, s.ciHigh]))))],
    ['comparisons.csv', csv(['role', 'seed', 'model_a', 'model_b', 'auc_a', 'auc_b', 'difference', 'ci_low', 'ci_high', 'z', 'p', 'p_holm'], data.comparisons.map((c) => [c.role, c.seed, c.modelA, c.modelB, c.aucA, c.aucB, c.difference, c.ciLow, c.ciHigh, c.z, c.p, c.pHolm]))],
    ['attributions.csv', csv(['model', 'role', 'label', 'kind', 'group', 'mean', 'sd', 'n'], data.attributions.map((a) => [a.model, a.role, a.label, a.kind, a.group, a.mean, a.sd, a.n]))],
    ['llm.csv', csv(['provider', 'model', 'style', 'repeat', 'n', 'parsed', 'roc_auc', 'pr_auc', 'score_source', 'hard_label'], data.llm.rows.map((r) => [r.provider, r.model, r.style, String(r.repeat), r.n, r.parsed, r.rocAuc, r.prAuc, r.scoreSource, r.hardLabel ? 'yes' : 'no']))],
  ];
  await mkdir(join(dir, 'figures'), { recursive: true });
  for (const figure of figures) {
    files.push([`figures/${figure.file}.svg`, `<?xml version="1.0" encoding="UTF-8"?>\n${figure.svg}\n`]);
    files.push([`figures/${figure.file}.png`, await figurePng(figure.svg)]);
  }
  const csvPaths: string[] = [];
  const figurePaths: string[] = [];
  for (const [name, content] of files) {
    const path = join(dir, name);
    await writeFile(`${path}.tmp`, content);
    await rename(`${path}.tmp`, path);
    if (name.endsWith('.csv')) csvPaths.push(path);
    if (name.startsWith('figures/')) figurePaths.push(path);
  }
  return { dir, htmlPath: join(dir, 'index.html'), markdownPath: join(dir, 'report.md'), csvPaths, figurePaths };
}

/** Training settings equal for every model, and a table of those that differ (e.g. epochs per architecture). */
export function splitTrainingSettings(models: readonly ModelSection[]): { shared: Record<string, string | number>; perModel: { keys: string[]; rows: string[][] } } {
  const keys = [...new Set(models.flatMap((m) => Object.keys(m.trainingSettings)))];
  const differs = (key: string) => new Set(models.map((m) => String(m.trainingSettings[key] ?? '—'))).size > 1;
  const shared: Record<string, string | number> = {};
  for (const key of keys) if (!differs(key)) shared[key] = models[0].trainingSettings[key];
  const varying = keys.filter(differs);
  return { shared, perModel: { keys: varying, rows: models.map((m) => [m.model, ...varying.map((k) => String(m.trainingSettings[k] ?? '—'))]) } };
}
