import { ArgsType, Field, Int } from 'type-graphql';
import { Max, Min } from 'class-validator';

@ArgsType()
export class RunDisagreementsArgs {
  @Field(() => Int, { description: 'First run (A).' })
  @Min(1)
  runA!: number;

  @Field(() => Int, { description: 'Second run (B).' })
  @Min(1)
  runB!: number;

  @Field(() => Int, { defaultValue: 20, description: 'At most this many records, 1 to 200.' })
  @Min(1)
  @Max(200)
  first!: number;
}
