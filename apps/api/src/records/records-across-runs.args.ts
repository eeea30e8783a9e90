import { ArgsType, Field, Float, Int } from 'type-graphql';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsOptional, Max, Min } from 'class-validator';
import { MAX_RUNS_ACROSS } from '@leadwise/db';
import { PageArgs } from '../pagination/pagination.args.ts';
import { BinaryLabelEnum, SplitEnum } from '../common/enums.ts';

@ArgsType()
export class RecordsAcrossRunsArgs extends PageArgs {
  @Field(() => [Int], {
    description: `Runs to put side by side, 2 to ${MAX_RUNS_ACROSS}, of one experiment or several; the rows are the first run's records, the filters apply to its predictions.`,
  })
  @ArrayMinSize(2)
  @ArrayMaxSize(MAX_RUNS_ACROSS)
  @ArrayUnique()
  @Min(1, { each: true })
  runIds!: number[];

  @Field(() => Boolean, { nullable: true, description: 'true: only records the first run misclassified; false: only those it got right.' })
  @IsOptional()
  misclassified?: boolean | null;

  @Field(() => BinaryLabelEnum, { nullable: true, description: 'Only records with this true class.' })
  @IsOptional()
  trueLabel?: BinaryLabelEnum | null;

  @Field(() => Float, { nullable: true, description: "Only records the first run scored >= this value, in [0, 1]." })
  @IsOptional()
  @Min(0)
  @Max(1)
  minScore?: number | null;

  @Field(() => Float, { nullable: true, description: "Only records the first run scored <= this value, in [0, 1]." })
  @IsOptional()
  @Min(0)
  @Max(1)
  maxScore?: number | null;

  @Field(() => Int, { nullable: true, description: 'Only records of this dataset.' })
  @IsOptional()
  @Min(1)
  datasetId?: number | null;

  @Field(() => SplitEnum, { nullable: true, description: 'Only records of this split.' })
  @IsOptional()
  split?: SplitEnum | null;
}
