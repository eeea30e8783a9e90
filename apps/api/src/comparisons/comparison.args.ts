import { ArgsType, Field, Float, Int } from 'type-graphql';
import { Max, Min } from 'class-validator';

/** The two runs a comparison is about. */
@ArgsType()
export class RunPairArgs {
  @Field(() => Int, { description: 'First run (A).' })
  @Min(1)
  runA!: number;

  @Field(() => Int, { description: 'Second run (B).' })
  @Min(1)
  runB!: number;
}

@ArgsType()
export class CompareRunsArgs extends RunPairArgs {
  @Field(() => Float, { defaultValue: 0.95, description: 'Confidence level of the interval, in [0.5, 0.999].' })
  @Min(0.5)
  @Max(0.999)
  level!: number;
}
