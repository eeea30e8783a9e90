import { ArgsType, Field } from 'type-graphql';
import { IsOptional } from 'class-validator';
import { ExperimentStatusEnum } from '../common/enums.ts';

@ArgsType()
export class ExperimentsArgs {
  @Field(() => ExperimentStatusEnum, { nullable: true, description: 'Only experiments in this state.' })
  @IsOptional()
  status?: ExperimentStatusEnum | null;
}
