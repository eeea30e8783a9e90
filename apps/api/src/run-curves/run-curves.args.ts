import { ArgsType, Field, Int } from 'type-graphql';
import { Max, Min } from 'class-validator';
import { MAX_CALIBRATION_BINS, MAX_CURVE_POINTS } from './run-curves.type.ts';

@ArgsType()
export class RunCurvesArgs {
  @Field(() => Int, { description: 'Run whose predictions to summarise.' })
  @Min(1)
  runId!: number;

  @Field(() => Int, { defaultValue: 10, description: 'Equal-width calibration bins, 2 to 50.' })
  @Min(2)
  @Max(MAX_CALIBRATION_BINS)
  calibrationBins!: number;

  @Field(() => Int, { defaultValue: 200, description: 'At most this many points per curve (evenly thinned, ends kept), 10 to 2000.' })
  @Min(10)
  @Max(MAX_CURVE_POINTS)
  maxPoints!: number;
}
