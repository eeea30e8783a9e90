import { ArgsType, Field, Int } from 'type-graphql';
import { IsIn, IsOptional, Max, Min } from 'class-validator';
import { JobStatusEnum } from '../common/enums.ts';

@ArgsType()
export class JobsArgs {
  @Field(() => JobStatusEnum, { nullable: true, description: 'Only jobs in this state.' })
  @IsOptional()
  status?: JobStatusEnum | null;

  @Field(() => String, { nullable: true, description: 'Only jobs of this kind (`train`, `evaluate`, `llm`).' })
  @IsOptional()
  @IsIn(['train', 'evaluate', 'llm'])
  kind?: string | null;

  @Field(() => Int, { defaultValue: 100, description: 'At most this many jobs, 1 to 1000.' })
  @Min(1)
  @Max(1000)
  first!: number;
}
