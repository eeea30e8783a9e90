import { ArgsType, Field, Int } from 'type-graphql';
import { IsOptional, Length, Min } from 'class-validator';
import { RunKindEnum, RunStatusEnum } from '../common/enums.ts';

@ArgsType()
export class RunsArgs {
  @Field(() => Int, { nullable: true, description: 'Only runs of this experiment.' })
  @IsOptional()
  @Min(1)
  experimentId?: number | null;

  @Field(() => RunStatusEnum, { nullable: true, description: 'Only runs in this state.' })
  @IsOptional()
  status?: RunStatusEnum | null;

  @Field(() => RunKindEnum, { nullable: true, description: 'Only runs of this kind.' })
  @IsOptional()
  kind?: RunKindEnum | null;

  @Field(() => String, { nullable: true, description: 'Only runs of this model.' })
  @IsOptional()
  @Length(1, 200)
  model?: string | null;
}
