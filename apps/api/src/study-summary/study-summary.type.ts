import { Extensions, Field, Float, Int, ObjectType } from 'type-graphql';

// Sizes the cost estimate assumes: a study has a handful of seeds, models and datasets.
const MAX_SEEDS = 20;
const MAX_ROWS = 100;
import { StudyRoleEnum } from '../common/enums.ts';

@ObjectType('SeedValue', { description: 'One seed\'s value of a metric with its bootstrap CI.' })
export class SeedValueType {
  @Field(() => Int, { description: 'Training seed.' })
  seed!: number;

  @Field(() => Int, { description: 'Evaluation run that produced the value.' })
  runId!: number;

  @Field(() => Float, { description: 'Metric value.' })
  value!: number;

  @Field(() => Float, { nullable: true, description: 'Lower bound of the stratified bootstrap CI.' })
  ciLow!: number | null;

  @Field(() => Float, { nullable: true, description: 'Upper bound of the stratified bootstrap CI.' })
  ciHigh!: number | null;
}

@ObjectType('SeedEstimate', { description: 'A metric over training seeds: mean ± SD, range, and a pooled CI (mean of the per-seed bootstrap bounds).' })
export class SeedEstimateType {
  @Field(() => Float, { description: 'Mean over seeds.' })
  mean!: number;

  @Field(() => Float, { nullable: true, description: 'Sample standard deviation over seeds; null with a single seed.' })
  sd!: number | null;

  @Field(() => Float, { description: 'Smallest value over seeds.' })
  min!: number;

  @Field(() => Float, { description: 'Largest value over seeds.' })
  max!: number;

  @Field(() => Float, { nullable: true, description: 'Pooled lower CI bound (mean of the per-seed lower bounds).' })
  ciLow!: number | null;

  @Field(() => Float, { nullable: true, description: 'Pooled upper CI bound (mean of the per-seed upper bounds).' })
  ciHigh!: number | null;

  @Extensions({ maxItems: MAX_SEEDS })
  @Field(() => [SeedValueType], { description: 'Per-seed values, by seed.' })
  perSeed!: SeedValueType[];
}

@ObjectType('StudySummaryRow', { description: "One row of the paper's table: a model evaluated on the internal test split or on an external dataset." })
export class StudySummaryRowType {
  @Field(() => String, { description: 'Model name.' })
  model!: string;

  @Field(() => StudyRoleEnum, { description: 'INTERNAL or EXTERNAL evaluation.' })
  role!: StudyRoleEnum;

  @Field(() => String, { description: 'Dataset evaluated on.' })
  dataset!: string;

  @Field(() => Int, { description: 'Records evaluated.' })
  n!: number;

  @Field(() => Int, { description: 'Abnormal records among them.' })
  positives!: number;

  @Extensions({ maxItems: MAX_SEEDS })
  @Field(() => [Int], { description: 'Seeds summarised.' })
  seeds!: number[];

  @Field(() => SeedEstimateType, { description: 'ROC-AUC over seeds.' })
  rocAuc!: SeedEstimateType;

  @Field(() => SeedEstimateType, { description: 'PR-AUC (average precision) over seeds.' })
  prAuc!: SeedEstimateType;
}

@ObjectType('StudySummary', { description: "The paper's table for an experiment; the report shows the same numbers." })
export class StudySummaryType {
  @Field(() => Int, { description: 'Experiment summarised.' })
  experimentId!: number;

  @Field(() => String, { nullable: true, description: "Name of the experiment's internal dataset (rows on it are INTERNAL)." })
  internalDataset!: string | null;

  @Extensions({ maxItems: MAX_ROWS })
  @Field(() => [StudySummaryRowType], { description: 'Rows: internal first, then external; by dataset and model.' })
  rows!: StudySummaryRowType[];
}
