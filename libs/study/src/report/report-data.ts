/** Everything the study report shows, gathered from the database; the writers only format it. */

import type { StudyRole } from '../summary/study-summary.ts';

export interface Estimate {
  mean: number;
  sd: number;
  min: number;
  max: number;
  perSeed: { seed: number; value: number; ciLow: number; ciHigh: number }[];
  /** 95% CI of the pooled-over-seeds estimate: the mean of the per-seed bootstrap bounds. */
  ciLow: number;
  ciHigh: number;
}

export interface SplitBalance {
  split: string;
  normal: number;
  abnormal: number;
  excluded: number;
}

export interface DatasetSection {
  role: StudyRole;
  name: string;
  kind: string;
  source: string;
  records: number;
  balance: SplitBalance[];
  labelRule: string;
  fileHashes: { file: string; sha256: string }[];
  evaluatedSplit: string;
  evaluatedN: number;
  evaluatedPositives: number;
}

export interface ModelSection {
  model: string;
  description: string;
  parameterCount: number;
  inputSize: string;
  backend: string;
  trainingSettings: Record<string, string | number>;
}

export interface ResultRow {
  model: string;
  role: StudyRole;
  dataset: string;
  n: number;
  positives: number;
  rocAuc: Estimate;
  prAuc: Estimate;
  sensitivity: Estimate;
  specificity: Estimate;
  brier: Estimate;
  ece: Estimate;
}

export interface ComparisonRow {
  role: StudyRole;
  /**
   * The seed both runs share, or 'pooled': the seed-mean AUCs over every seed both models have,
   * tested by DeLong on seed-averaged placement values (Holm over the pooled rows of a test set).
   */
  seed: number | 'pooled';
  modelA: string;
  modelB: string;
  aucA: number;
  aucB: number;
  difference: number;
  ciLow: number;
  ciHigh: number;
  z: number;
  p: number;
  pHolm: number;
}

export interface CurveSeries {
  model: string;
  seed: number;
  roc: { fpr: number; tpr: number }[];
  pr: { recall: number; precision: number }[];
  /** Reliability diagram: ten equal-width probability bins, empty ones left out. */
  reliability?: { meanPredicted: number; observedRate: number; count: number }[];
}

/** Loss and validation ROC-AUC per epoch of one train run (its stored metric series). */
export interface TrainingCurve {
  model: string;
  seed: number;
  epochs: { epoch: number; trainLoss: number | null; valLoss: number | null; valRocAuc: number | null }[];
}

export interface AttributionRow {
  model: string;
  role: StudyRole;
  label: 'normal' | 'abnormal';
  group: string;
  kind: 'attention' | 'occlusion';
  mean: number;
  sd: number;
  n: number;
}

export interface ExamplePage {
  caption: string;
  /** PNG as a data URI so the HTML report stays self-contained. */
  pngDataUri: string;
  groupWeights?: Record<string, number>;
}

export interface LlmRow {
  provider: string;
  model: string;
  style: string;
  repeat: number | 'pooled';
  n: number;
  parsed: number;
  rocAuc: number | null;
  rocCi: [number, number] | null;
  prAuc: number | null;
  scoreSource: string;
  hardLabel: boolean;
}

export interface PromptSection {
  name: string;
  version: string;
  sha256: string;
  text: string;
}

export interface StudyReportData {
  experiment: { id: number; name: string; profile: string; configHash: string; createdAt: string; commit: string; wallTimeS: number };
  datasets: DatasetSection[];
  render: Record<string, string | number>;
  examplePages: ExamplePage[];
  models: ModelSection[];
  seeds: number[];
  statistics: { bootstrapResamples: number; confidenceLevel: number };
  results: ResultRow[];
  comparisons: ComparisonRow[];
  curves: { role: StudyRole; dataset: string; series: CurveSeries[] }[];
  attributions: AttributionRow[];
  /** Per train run of the experiment; absent in reports written before training curves were stored. */
  trainingCurves?: TrainingCurve[];
  llm: { skippedReason: string | null; prompts: PromptSection[]; rows: LlmRow[] };
}
