import { ArgsType, Field, Int } from 'type-graphql';
import { Max, Min } from 'class-validator';

@ArgsType()
export class RecordPredictionsArgs {
  @Field(() => Int, { description: 'Record whose predictions to list.' })
  @Min(1)
  recordId!: number;

  @Field(() => Int, { defaultValue: 100, description: 'At most this many runs, 1 to 500.' })
  @Min(1)
  @Max(500)
  first!: number;
}
