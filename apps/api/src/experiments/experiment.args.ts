import { ArgsType, Field } from 'type-graphql';
import { firstArgs } from '../pagination/first-args.ts';
import { IsOptional } from 'class-validator';
import { ExperimentStatusEnum } from '../common/enums.ts';

@ArgsType()
export class ExperimentsArgs extends firstArgs(50, 500, 'experiments') {
  @Field(() => ExperimentStatusEnum, { nullable: true, description: 'Only experiments in this state.' })
  @IsOptional()
  status?: ExperimentStatusEnum | null;
}

@ArgsType()
export class ExperimentRunsArgs extends firstArgs(100, 1000, 'runs') {}
