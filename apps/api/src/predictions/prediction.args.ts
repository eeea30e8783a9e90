import { ArgsType, Field, Float, Int, registerEnumType } from 'type-graphql';
import { IsOptional, Max, Min } from 'class-validator';
import { PageArgs } from '../pagination/pagination.args.ts';
import { BinaryLabelEnum, SplitEnum } from '../common/enums.ts';

export enum PredictionOrder {
  ID = 'id',
  SCORE_ASC = 'score_asc',
  SCORE_DESC = 'score_desc',
}
registerEnumType(PredictionOrder, {
  name: 'PredictionOrder',
  description: 'Order of a prediction list: by id (insertion order), or by score ascending/descending (ties by id).',
});

@ArgsType()
export class PredictionsArgs extends PageArgs {
  @Field(() => Int, { description: 'Run whose predictions to list.' })
  @Min(1)
  runId!: number;

  @Field(() => Boolean, { nullable: true, description: 'true: only misclassified (predicted class differs from the true one); false: only correct ones.' })
  @IsOptional()
  misclassified?: boolean | null;

  @Field(() => BinaryLabelEnum, { nullable: true, description: 'Only records with this true class.' })
  @IsOptional()
  trueLabel?: BinaryLabelEnum | null;

  @Field(() => Float, { nullable: true, description: 'Only scores >= this value, in [0, 1].' })
  @IsOptional()
  @Min(0)
  @Max(1)
  minScore?: number | null;

  @Field(() => Float, { nullable: true, description: 'Only scores <= this value, in [0, 1].' })
  @IsOptional()
  @Min(0)
  @Max(1)
  maxScore?: number | null;

  @Field(() => Int, { nullable: true, description: 'Only records of this dataset (a run that evaluated several).' })
  @IsOptional()
  @Min(1)
  datasetId?: number | null;

  @Field(() => SplitEnum, { nullable: true, description: 'Only records of this split.' })
  @IsOptional()
  split?: SplitEnum | null;

  @Field(() => PredictionOrder, { defaultValue: PredictionOrder.ID, description: 'Sort order.' })
  orderBy!: PredictionOrder;
}
