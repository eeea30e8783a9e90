import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType('RunComparison', {
  description:
    "DeLong's paired test of two runs' ROC-AUCs on the records both predicted, computed from the stored predictions when asked.",
})
export class RunComparisonType {
  @Field(() => Int, { description: 'First run (A).' })
  runA!: number;

  @Field(() => Int, { description: 'Second run (B).' })
  runB!: number;

  @Field(() => Int, { description: 'Records predicted by both runs (the paired sample).' })
  n!: number;

  @Field(() => Int, { description: 'Abnormal records among them.' })
  positives!: number;

  @Field(() => Float, { description: 'ROC-AUC of run A on the paired sample.' })
  aucA!: number;

  @Field(() => Float, { description: 'ROC-AUC of run B on the paired sample.' })
  aucB!: number;

  @Field(() => Float, { description: 'aucA - aucB.' })
  difference!: number;

  @Field(() => Float, { description: 'Lower bound of the confidence interval of the difference.' })
  ciLow!: number;

  @Field(() => Float, { description: 'Upper bound of the confidence interval of the difference.' })
  ciHigh!: number;

  @Field(() => Float, { description: 'Confidence level of the interval, e.g. 0.95.' })
  level!: number;

  @Field(() => Float, { description: 'z statistic of the difference.' })
  z!: number;

  @Field(() => Float, { description: 'Two-sided p-value (a probability, not its logarithm).' })
  pValue!: number;

  @Field(() => Float, { nullable: true, description: 'Correlation of the two AUC estimates.' })
  correlation!: number | null;

  @Field(() => String, { description: 'Method used.' })
  method!: string;

  @Field(() => String, { nullable: true, description: 'Caveat, e.g. when a run gave hard 0/1 scores (its AUC is then a balanced accuracy).' })
  note!: string | null;
}
