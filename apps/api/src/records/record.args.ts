import { ArgsType, Field, Int } from 'type-graphql';
import { IsOptional, Min } from 'class-validator';
import { PageArgs } from '../pagination/pagination.args.ts';
import { RecordLabelEnum, SplitEnum } from '../common/enums.ts';

@ArgsType()
export class RecordsArgs extends PageArgs {
  @Field(() => Int, { description: 'Dataset whose records to list.' })
  @Min(1)
  datasetId!: number;

  @Field(() => SplitEnum, { nullable: true, description: 'Only records of this split.' })
  @IsOptional()
  split?: SplitEnum | null;

  @Field(() => RecordLabelEnum, { nullable: true, description: 'Only records with this label.' })
  @IsOptional()
  label?: RecordLabelEnum | null;
}
