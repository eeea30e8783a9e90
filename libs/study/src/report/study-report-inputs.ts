import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { AttributionStore, DatasetStore, RecordStore, RunStore, type LeadwiseDatabase, type Run } from '@leadwise/db';
import { readWfdbRecord } from '@leadwise/ecg';
import { getPrompt } from '@leadwise/llm';
import { ARCHITECTURE_SPECS, countTrainableParams, createModel, parseModelConfig, PROFILE_SETTINGS, selectBackend } from '@leadwise/models';
import { DEFAULT_RENDER_OPTIONS, PAGE_GRID_STYLES, renderPage } from '@leadwise/render';
import { LLM_METRIC_KEYS } from '../llm-arm/run-llm-arm.ts';
import { writeExperimentPredictions } from '../predictions/run-predictions.ts';
import { LLM_ARM_DEFAULTS, type ResolvedStudyPlan } from '../study/study-config.ts';
import { studyDatasets, studyInputSize } from '../study/study-steps.ts';
import { SUMMARY_METRIC_KEYS } from '../summary/index.ts';
import { gatherStudyReport } from './gather-report.ts';
import type { ExamplePage, LlmRow, PromptSection } from './report-data.ts';
import { writeReport, type WrittenReport } from './report-writer.ts';

/** The experiment a study report is written for. */
export interface StudyReportSource {
  db: LeadwiseDatabase;
  plan: ResolvedStudyPlan;
  experimentId: number;
}

export interface StudyReportOptions {
  reportDir: string;
  llmSkippedReason: string | null;
  wallTimeS: number;
}

/** Gathers what the database holds on the study's experiment and writes the report and per-record predictions. */
export async function writeStudyReport(source: StudyReportSource, options: StudyReportOptions): Promise<WrittenReport> {
  const { plan } = source;
  const data = await gatherStudyReport(source.db, {
    experimentId: source.experimentId,
    internalDataset: plan.config.datasets.internal.name,
    externalDataset: plan.config.datasets.external?.name ?? null,
    internalTestSplit: 'test',
    seeds: plan.seeds,
    profile: plan.config.profile,
    commit: gitCommit(),
    wallTimeS: options.wallTimeS,
    bootstrapResamples: plan.config.statistics.bootstrapResamples,
    confidenceLevel: plan.config.statistics.confidenceLevel,
    bootstrapSeed: plan.config.statistics.seed,
    render: renderSettings(plan),
    examplePages: await examplePages(source),
    modelDescriptions: await modelDescriptions(plan),
    llm: { skippedReason: options.llmSkippedReason, prompts: promptSections(plan), rows: options.llmSkippedReason ? [] : await llmRows(source) },
  });
  const written = await writeReport(data, resolve(options.reportDir));
  // Per-record predictions of every evaluation, for scikit-learn, pROC or a spreadsheet.
  const predictionPaths = await writeExperimentPredictions(source.db, source.experimentId, written.dir);
  return { ...written, csvPaths: [...written.csvPaths, ...predictionPaths] };
}

function renderSettings(plan: ResolvedStudyPlan) {
  const { inputHeight, inputWidth } = studyInputSize(plan);
  return {
    layout: '3x4 + lead II rhythm strip (standard)',
    paperSpeedMmPerS: DEFAULT_RENDER_OPTIONS.paperSpeedMmPerS,
    gainMmPerMv: DEFAULT_RENDER_OPTIONS.gainMmPerMv,
    trainStyle: plan.config.trainStyle === 'grid' ? 'red grid' : 'grid-free',
    trainingInput: `${inputHeight}x${inputWidth} grayscale`,
    llmPages: `${plan.config.llm.styles.join(' and ')} at ${plan.config.llm.dpi ?? LLM_ARM_DEFAULTS.dpi} DPI, no header`,
  };
}

function promptSections(plan: ResolvedStudyPlan): PromptSection[] {
  const prompt = getPrompt(plan.config.llm.prompt);
  return [{ name: prompt.name, version: String(prompt.version), sha256: prompt.sha256, text: prompt.text }];
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** The first record of each dataset on both page styles, with LeadGroupECG's attention on it when stored. */
async function examplePages(source: StudyReportSource): Promise<ExamplePage[]> {
  const pages: ExamplePage[] = [];
  for (const dataset of studyDatasets(source.plan.config)) {
    const row = await new DatasetStore(source.db).getByName(dataset.name);
    if (!row) continue;
    const first = (await new RecordStore(source.db).list({ datasetId: row.id }, { limit: 1 })).items[0];
    if (!first) continue;
    const recording = await readWfdbRecord(first.signalPath);
    for (const gridStyle of Object.values(PAGE_GRID_STYLES)) {
      const { png } = renderPage(recording, { gridStyle, dpi: 100 });
      pages.push({
        caption: `${dataset.name} ${first.externalId} (${first.label}), ${gridStyle === 'red' ? 'red grid' : 'grid-free'}, 100 DPI`,
        pngDataUri: `data:image/png;base64,${Buffer.from(png).toString('base64')}`,
        groupWeights: await meanAttention(source.db, first.id),
      });
    }
  }
  return pages;
}

/** LeadGroupECG's mean attention per group on one record across its evaluation runs, if any. */
async function meanAttention(db: LeadwiseDatabase, recordId: number): Promise<Record<string, number> | undefined> {
  const sums = new Map<string, { total: number; n: number }>();
  for (const { groupName, attentionWeight } of await new AttributionStore(db).byRecord(recordId)) {
    if (attentionWeight === null) continue;
    const s = sums.get(groupName) ?? { total: 0, n: 0 };
    s.total += attentionWeight;
    s.n++;
    sums.set(groupName, s);
  }
  if (sums.size === 0) return undefined;
  return Object.fromEntries([...sums].map(([g, s]) => [g, s.total / s.n]));
}

async function llmRows(source: StudyReportSource): Promise<LlmRow[]> {
  const store = new RunStore(source.db);
  const llmRuns = await store.listByExperiment(source.experimentId, { kind: 'llm', status: 'finished' });
  const rows: LlmRow[] = [];
  for (const run of llmRuns) rows.push(...(await llmRunRows(store, run)));
  return rows;
}

/** One row per repeat and a pooled row, from the params and metrics run-llm-arm writes. */
async function llmRunRows(store: RunStore, run: Run): Promise<LlmRow[]> {
  const params = await store.getParams(run.id);
  const series = await store.getMetricSeries(run.id);
  const latest = new Map((await store.getLatestMetrics(run.id)).map((m) => [m.key, m.value]));
  const n = Number(latest.get(SUMMARY_METRIC_KEYS.n) ?? 0);
  const base = {
    provider: params.provider ?? '',
    model: run.model,
    style: params.style ?? '',
    scoreSource: params.score_source ?? '',
    hardLabel: (latest.get(LLM_METRIC_KEYS.hardLabelOnly) ?? 0) > 0,
  };
  const repeats = series
    .filter((m) => m.key === LLM_METRIC_KEYS.repeatRocAuc)
    .map((r): LlmRow => {
      const pr = series.find((m) => m.key === LLM_METRIC_KEYS.repeatPrAuc && m.step === r.step);
      const scored = series.find((m) => m.key === LLM_METRIC_KEYS.repeatScored && m.step === r.step);
      return { ...base, repeat: r.step, n, parsed: Number(scored?.value ?? 0), rocAuc: r.value, rocCi: null, prAuc: pr?.value ?? null };
    });
  const ciLow = latest.get(SUMMARY_METRIC_KEYS.rocAucCiLow);
  const ciHigh = latest.get(SUMMARY_METRIC_KEYS.rocAucCiHigh);
  const pooled: LlmRow = {
    ...base,
    repeat: 'pooled',
    n,
    parsed: n - Number(latest.get(LLM_METRIC_KEYS.unparsed) ?? 0),
    rocAuc: latest.get(SUMMARY_METRIC_KEYS.rocAuc) ?? null,
    rocCi: ciLow !== undefined && ciHigh !== undefined ? [ciLow, ciHigh] : null,
    prAuc: latest.get(SUMMARY_METRIC_KEYS.prAuc) ?? null,
  };
  return [...repeats, pooled];
}

async function modelDescriptions(plan: ResolvedStudyPlan): Promise<Record<string, { description: string; parameterCount: number }>> {
  // Built on the backend training uses, so parameter counts come from the same graphs.
  await selectBackend({ log: () => undefined });
  const settings = PROFILE_SETTINGS[plan.config.profile];
  const out: Record<string, { description: string; parameterCount: number }> = {};
  for (const model of plan.config.models) {
    const network = createModel(
      parseModelConfig({
        architecture: model,
        ...studyInputSize(plan),
        widthMultiplier: settings.widthMultiplier,
        vggBatchNorm: settings.vggBatchNorm,
        ...(plan.config.leadGroupHead ? { leadGroupHead: plan.config.leadGroupHead } : {}),
        ...(plan.config.groupTargets ? { groupTargets: true } : {}),
      }),
    );
    const description = ARCHITECTURE_SPECS[model].describe({ vggBatchNorm: settings.vggBatchNorm, leadGroupHead: plan.config.leadGroupHead ?? 'residual' });
    const withTargets = plan.config.groupTargets ? `${description}; auxiliary localised-statement targets per lead group (training only, counted in the parameters)` : description;
    out[model] = { description: withTargets, parameterCount: countTrainableParams(network.model) };
    network.model.dispose();
  }
  return out;
}
