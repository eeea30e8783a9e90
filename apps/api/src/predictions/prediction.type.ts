import { pageNodesComplexity } from '../limits.ts';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { PredictionFilter } from '@leadwise/db';
import { BinaryLabelEnum, SplitEnum } from '../common/enums.ts';
import { PageInfo } from '../pagination/page-info.type.ts';

@ObjectType('Prediction', { description: "A model's output for one record in one run." })
export class PredictionType {
  @Field(() => Int, { description: 'Database id.' })
  id!: number;

  @Field(() => Int, { description: 'Run that made the prediction.' })
  runId!: number;

  @Field(() => Int, { description: 'Record predicted (see `record` for its details).' })
  recordId!: number;

  @Field(() => Int, { description: 'Dataset of the record.' })
  datasetId!: number;

  @Field(() => SplitEnum, { nullable: true, description: 'Split of the record.' })
  split!: string | null;

  @Field(() => BinaryLabelEnum, { description: 'True class.' })
  trueLabel!: number;

  @Field(() => Float, { description: 'Predicted probability of ABNORMAL, in [0, 1].' })
  score!: number;

  @Field(() => BinaryLabelEnum, { description: 'Predicted class (the score thresholded by the run).' })
  predictedLabel!: number;
}

@ObjectType({ description: 'A page of predictions.' })
export class PredictionConnection {
  @Field(() => [PredictionType], { description: 'The predictions of this page, in the requested order.', complexity: pageNodesComplexity })
  nodes!: PredictionType[];

  @Field(() => PageInfo, { description: 'Cursor of the next page.' })
  pageInfo!: PageInfo;

  /** The filter of this list, kept for `totalCount` (not exposed). */
  filter!: PredictionFilter;
}
