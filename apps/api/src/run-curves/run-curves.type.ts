import { Extensions, Field, Float, Int, ObjectType } from 'type-graphql';

/** Largest `maxPoints` (see RunCurvesArgs) and calibration bin count. */
export const MAX_CURVE_POINTS = 2000;
export const MAX_CALIBRATION_BINS = 50;

@ObjectType('CurvePoint', { description: 'One point of a ROC or precision-recall curve.' })
export class CurvePointType {
  @Field(() => Float, { description: 'ROC: false positive rate; PR: recall.' })
  x!: number;

  @Field(() => Float, { description: 'ROC: true positive rate; PR: precision.' })
  y!: number;

  @Field(() => Float, { nullable: true, description: 'Score threshold of the point; null for the +Infinity start.' })
  threshold!: number | null;
}

@ObjectType('CalibrationBin', { description: 'One equal-width bin of predicted probability (reliability diagram).' })
export class CalibrationBinType {
  @Field(() => Float, { description: 'Lower edge (inclusive).' })
  lower!: number;

  @Field(() => Float, { description: 'Upper edge (exclusive, except the last bin).' })
  upper!: number;

  @Field(() => Int, { description: 'Predictions in the bin.' })
  count!: number;

  @Field(() => Float, { nullable: true, description: 'Mean predicted probability; null when the bin is empty.' })
  meanPredicted!: number | null;

  @Field(() => Float, { nullable: true, description: 'Fraction of abnormal records; null when the bin is empty.' })
  observedRate!: number | null;
}

@ObjectType('RunCurves', { description: "A run's ROC and PR curves and reliability diagram, computed from its stored predictions when asked." })
export class RunCurvesType {
  @Field(() => Int, { description: 'Run summarised.' })
  runId!: number;

  @Field(() => Int, { description: 'Predictions used.' })
  n!: number;

  @Field(() => Int, { description: 'Abnormal records among them.' })
  positives!: number;

  @Field(() => Float, { nullable: true, description: 'ROC-AUC; null when only one class is present.' })
  rocAuc!: number | null;

  @Field(() => Float, { nullable: true, description: 'Average precision (PR-AUC); null when only one class is present.' })
  averagePrecision!: number | null;

  @Extensions({ maxItems: MAX_CURVE_POINTS })
  @Field(() => [CurvePointType], { description: 'ROC curve from (0, 0) to (1, 1); empty when only one class is present.' })
  roc!: CurvePointType[];

  @Extensions({ maxItems: MAX_CURVE_POINTS })
  @Field(() => [CurvePointType], { description: 'Precision-recall curve from recall 0; empty when only one class is present.' })
  pr!: CurvePointType[];

  @Field(() => Float, { nullable: true, description: 'Brier score; null without predictions.' })
  brier!: number | null;

  @Field(() => Float, { nullable: true, description: 'Expected calibration error over the bins; null without predictions.' })
  ece!: number | null;

  @Extensions({ maxItems: MAX_CALIBRATION_BINS })
  @Field(() => [CalibrationBinType], { description: 'Reliability bins, lowest first; empty without predictions.' })
  calibration!: CalibrationBinType[];
}
