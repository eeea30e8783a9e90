import { ArgsType, Field, Int } from 'type-graphql';
import { Min } from 'class-validator';

@ArgsType()
export class RecordAttributionsArgs {
  @Field(() => Int, { description: 'Run whose attributions to read.' })
  @Min(1)
  runId!: number;

  @Field(() => Int, { description: 'Record explained.' })
  @Min(1)
  recordId!: number;
}

@ArgsType()
export class AttributionSummaryArgs {
  @Field(() => Int, { description: 'Run whose attributions to aggregate.' })
  @Min(1)
  runId!: number;
}
