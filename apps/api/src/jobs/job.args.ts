import { ArgsType, Field, Int } from 'type-graphql';
import { IsIn, IsOptional, Max, Min } from 'class-validator';
import { JOB_KINDS, type JobKind } from '@leadwise/study';
import { JobStatusEnum } from '../common/enums.ts';

@ArgsType()
export class JobsArgs {
  @Field(() => JobStatusEnum, { nullable: true, description: 'Only jobs in this state.' })
  @IsOptional()
  status?: JobStatusEnum | null;

  @Field(() => String, { nullable: true, description: `Only jobs of this kind (${JOB_KINDS.map((k) => `\`${k}\``).join(', ')}).` })
  @IsOptional()
  @IsIn(JOB_KINDS)
  kind?: JobKind | null;

  @Field(() => Int, { defaultValue: 100, description: 'At most this many jobs, 1 to 1000.' })
  @Min(1)
  @Max(1000)
  first!: number;
}
