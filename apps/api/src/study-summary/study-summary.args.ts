import { ArgsType, Field, Int } from 'type-graphql';
import { Min } from 'class-validator';

@ArgsType()
export class StudySummaryArgs {
  @Field(() => Int, { description: 'Experiment to summarise.' })
  @Min(1)
  experimentId!: number;
}
