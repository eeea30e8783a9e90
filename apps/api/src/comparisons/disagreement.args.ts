import { ArgsType, Field, Int } from 'type-graphql';
import { Max, Min } from 'class-validator';
import { RunPairArgs } from './comparison.args.ts';

@ArgsType()
export class RunDisagreementsArgs extends RunPairArgs {
  @Field(() => Int, { defaultValue: 20, description: 'At most this many records, 1 to 200.' })
  @Min(1)
  @Max(200)
  first!: number;
}
