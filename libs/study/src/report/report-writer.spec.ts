import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Estimate, StudyReportData } from './report-data.ts';
import { FIGURE_PNG_DPI } from './report-figures.ts';
import { fmtEstimate, splitTrainingSettings, summarise, writeReport } from './report-writer.ts';

const estimate = (values: number[]): Estimate => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(values.length - 1, 1));
  return {
    mean, sd, min: Math.min(...values), max: Math.max(...values),
    perSeed: values.map((value, i) => ({ seed: i + 1, value, ciLow: value - 0.02, ciHigh: value + 0.02 })),
    ciLow: mean - 0.02, ciHigh: mean + 0.02,
  };
};

function fixture(): StudyReportData {
  const row = (model: string, role: 'internal' | 'external', auc: number[]) => ({
    model, role, dataset: role === 'internal' ? 'ptbxl' : 'chapman', n: 400, positives: 222,
    rocAuc: estimate(auc), prAuc: estimate(auc.map((a) => a - 0.01)), sensitivity: estimate([0.8, 0.82, 0.81]),
    specificity: estimate([0.85, 0.84, 0.86]), brier: estimate([0.12, 0.13, 0.12]), ece: estimate([0.03, 0.04, 0.03]),
  });
  return {
    experiment: { id: 7, name: 'fixture study', profile: 'standard', configHash: 'ab'.repeat(32), createdAt: '2026-11-30T12:00:00Z', commit: 'abc1234', wallTimeS: 3600 },
    datasets: [
      { role: 'internal', name: 'ptbxl', kind: 'ptbxl', source: 'ptbxl_database.csv', records: 8731, balance: [{ split: 'test', normal: 905, abnormal: 1276, excluded: 2 }], labelRule: 'ptbxl-default', fileHashes: [{ file: 'ptbxl_database.csv', sha256: 'cd'.repeat(32) }], evaluatedSplit: 'test', evaluatedN: 2181, evaluatedPositives: 1276 },
      { role: 'external', name: 'chapman', kind: 'cinc', source: 'chapman.tar.xz', records: 400, balance: [{ split: 'all', normal: 178, abnormal: 222, excluded: 0 }], labelRule: 'sinus-only-normal', fileHashes: [], evaluatedSplit: 'all', evaluatedN: 400, evaluatedPositives: 222 },
    ],
    render: { layout: '3x4+rhythm', paperSpeedMmPerS: 25, gainMmPerMv: 10 },
    examplePages: [{ caption: 'PTB-XL 00001 grid', pngDataUri: 'data:image/png;base64,iVBORw0KGgo=', groupWeights: { inferior: 0.3, lateral: 0.2, septal: 0.2, anterior: 0.2, aVR: 0.1 } }],
    models: [{ model: 'leadgroup', description: 'LeadGroupECG on ResNet18', parameterCount: 1234567, inputSize: '200x256x1', backend: 'wasm', trainingSettings: { epochs: 8, batch: 32 } }],
    seeds: [1, 2, 3],
    statistics: { bootstrapResamples: 2000, confidenceLevel: 0.95 },
    results: [row('leadgroup', 'internal', [0.93, 0.94, 0.92]), row('resnet18', 'internal', [0.91, 0.92, 0.9]), row('leadgroup', 'external', [0.86, 0.85, 0.86])],
    comparisons: [
      { role: 'internal', seed: 1, modelA: 'leadgroup', modelB: 'resnet18', aucA: 0.93, aucB: 0.91, difference: 0.02, ciLow: 0.005, ciHigh: 0.035, z: 2.6, p: 0.009, pHolm: 0.027 },
      { role: 'internal', seed: 'pooled', modelA: 'leadgroup', modelB: 'resnet18', aucA: 0.93, aucB: 0.91, difference: 0.02, ciLow: 0.008, ciHigh: 0.032, z: 3.3, p: 0.001, pHolm: 0.001 },
    ],
    curves: [{ role: 'internal', dataset: 'ptbxl', series: [{ model: 'leadgroup', seed: 1, roc: [{ fpr: 0, tpr: 0 }, { fpr: 0.1, tpr: 0.8 }, { fpr: 1, tpr: 1 }], pr: [{ recall: 0, precision: 1 }, { recall: 1, precision: 0.58 }], reliability: [{ meanPredicted: 0.1, observedRate: 0.15, count: 40 }, { meanPredicted: 0.55, observedRate: 0.5, count: 20 }, { meanPredicted: 0.9, observedRate: 0.85, count: 40 }] }] }],
    trainingCurves: [1, 2].map((seed) => ({ model: 'leadgroup', seed, epochs: [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 0.7 / epoch, valLoss: 0.75 / epoch, valRocAuc: 0.8 + 0.03 * epoch })) })),
    attributions: ['inferior', 'lateral', 'septal', 'anterior', 'aVR'].flatMap((group) => (['normal', 'abnormal'] as const).map((label) => ({ model: 'leadgroup', role: 'internal' as const, label, group, kind: 'attention' as const, mean: 0.2, sd: 0.05, n: 100 }))),
    llm: { skippedReason: 'no OPENAI_API_KEY, GEMINI_API_KEY or LEADWISE_COMPAT_BASE_URL in the environment', prompts: [{ name: 'study-zero-shot', version: '1', sha256: 'ef'.repeat(32), text: 'Is this ECG normal or abnormal?' }], rows: [] },
  };
}

describe('study report writer', () => {
  it('formats an estimate as mean ± SD with its CI', () => {
    expect(fmtEstimate(estimate([0.93, 0.94, 0.92]))).toBe('0.930 ± 0.010 (0.910–0.950)');
  });

  it('states findings with numbers and names the weak evidence', () => {
    const lines = summarise(fixture()).join('\n');
    expect(lines).toMatch(/best CNN was leadgroup with ROC-AUC 0\.930/);
    expect(lines).toMatch(/higher in 1 of 1 seed\(s\); the DeLong difference was significant after Holm correction in 1 of 1 seed/);
    expect(lines).toMatch(/seed-mean difference 0\.020 \(95% CI 0\.008 to 0\.032\), pooled DeLong p = 0\.001/);
    expect(lines).toMatch(/LLM arm was skipped: no OPENAI_API_KEY/);
    expect(lines).toMatch(/external set is small \(n = 400\)/);
  });

  it('writes a self-contained HTML report with every section, charts as SVG, and CSVs', async () => {
    const out = await mkdtemp(join(tmpdir(), 'leadwise-report-'));
    const written = await writeReport(fixture(), out);
    const html = await readFile(written.htmlPath, 'utf8');
    for (const heading of ['Summary', 'Data', 'Methods', 'Results', 'Lead-group attributions', 'Zero-shot LLMs', 'Example pages']) {
      expect(html, heading).toContain(`>${heading}</h`);
    }
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(3);
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="http/);
    const results = await readFile(written.csvPaths.find((p) => p.endsWith('results.csv'))!, 'utf8');
    // 3 result rows x 6 metrics x 3 seeds, plus the header.
    expect(results.trim().split('\n')).toHaveLength(1 + 3 * 6 * 3);
  });

  it('writes every chart as a standalone SVG and a PNG with its DPI beside index.html, linked from report.md', async () => {
    const out = await mkdtemp(join(tmpdir(), 'leadwise-report-'));
    const written = await writeReport(fixture(), out);
    const names = (await readdir(join(written.dir, 'figures'))).sort();
    expect(names).toEqual(
      [
        'attribution-leadgroup-attention-internal',
        'calibration-leadgroup-internal-ptbxl',
        'pr-internal-ptbxl',
        'roc-internal-ptbxl',
        'training-leadgroup',
      ].flatMap((n) => [`${n}.png`, `${n}.svg`]),
    );
    expect(written.figurePaths).toHaveLength(names.length);
    const markdown = await readFile(written.markdownPath, 'utf8');
    const links = [...markdown.matchAll(/\]\((figures\/[^)]+)\)/g)].map((m) => m[1]);
    expect(links.sort()).toEqual(names.map((n) => `figures/${n}`));
    expect(markdown).toContain('- [Calibration of leadgroup, internal: ptbxl](figures/calibration-leadgroup-internal-ptbxl.svg)');
    const html = await readFile(written.htmlPath, 'utf8');
    expect(html).not.toContain('## Figures');

    const svg = await readFile(join(written.dir, 'figures', 'training-leadgroup.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml [^>]+>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('validation ROC-AUC');
    expect(svg).toContain('loss (binary cross-entropy)');
    expect(await readFile(join(written.dir, 'figures', 'calibration-leadgroup-internal-ptbxl.svg'), 'utf8')).toContain('observed fraction abnormal');

    const png = await readFile(join(written.dir, 'figures', 'roc-internal-ptbxl.png'));
    // The pHYs chunk, parsed by hand: pixels per metre for 192 DPI, unit metre.
    const at = png.indexOf('pHYs', 8, 'latin1');
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(png.indexOf('IDAT', 8, 'latin1'));
    expect([png.readUInt32BE(at + 4), png.readUInt32BE(at + 8), png[at + 12]]).toEqual([7559, 7559, 1]);
    expect(FIGURE_PNG_DPI).toBe(192);
    // Twice the SVG's size in CSS pixels.
    const svgWidth = Number(/width="(\d+)"/.exec(await readFile(join(written.dir, 'figures', 'roc-internal-ptbxl.svg'), 'utf8'))![1]);
    expect(png.readUInt32BE(16)).toBe(2 * svgWidth);
  });
});

describe('splitTrainingSettings', () => {
  it('lists settings shared by every model once and tabulates the ones that differ, per model', () => {
    const model = (name: string, epochs: number) => ({ model: name, description: name, parameterCount: 1, inputSize: '128x160x1', backend: 'wasm', trainingSettings: { epochs, batch_size: 32 } });
    const { shared, perModel } = splitTrainingSettings([model('leadgroup', 3), model('resnet18', 3), model('vgg16', 2)]);
    expect(shared).toEqual({ batch_size: 32 });
    expect(perModel.keys).toEqual(['epochs']);
    expect(perModel.rows).toEqual([
      ['leadgroup', '3'],
      ['resnet18', '3'],
      ['vgg16', '2'],
    ]);
  });
});
