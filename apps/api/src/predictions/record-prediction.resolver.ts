import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { PredictionStore, type Prediction } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import { pageComplexity } from '../limits.ts';
import { RecordPredictionsArgs } from './record-prediction.args.ts';
import { RunType } from '../runs/run.type.ts';
import { PredictionType } from './prediction.type.ts';

/** Every model's score for one record, and the run behind each prediction. */
@Resolver(() => PredictionType)
export class RecordPredictionResolver {
  @Query(() => [PredictionType], {
    description: "Every run's prediction for one record, by run id (one per run, at most `first`).",
    complexity: pageComplexity,
  })
  async recordPredictions(@Args(() => RecordPredictionsArgs) args: RecordPredictionsArgs, @Ctx() { db }: ApiContext): Promise<Prediction[]> {
    return new PredictionStore(db).byRecord(args.recordId, args.first);
  }

  @FieldResolver(() => RunType, { description: 'The run that made the prediction.' })
  async run(@Root() prediction: Prediction, @Ctx() { loaders }: ApiContext) {
    return loaders.run.load(prediction.runId);
  }
}
