import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { PredictionStore, type Prediction } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import { RunType } from '../runs/run.type.ts';
import { PredictionType } from './prediction.type.ts';

/** Every model's score for one record, and the run behind each prediction. */
@Resolver(() => PredictionType)
export class RecordPredictionResolver {
  @Query(() => [PredictionType], {
    description: "Every run's prediction for one record, by run id (at most one per run).",
    // A record is predicted once per evaluation run; a study has tens of them.
    complexity: ({ childComplexity }) => 1 + 100 * Math.max(childComplexity, 1),
  })
  async recordPredictions(@Arg('recordId', () => Int, { description: 'Record whose predictions to list.' }) recordId: number, @Ctx() { db }: ApiContext): Promise<Prediction[]> {
    return new PredictionStore(db).byRecord(recordId);
  }

  @FieldResolver(() => RunType, { description: 'The run that made the prediction.' })
  async run(@Root() prediction: Prediction, @Ctx() { loaders }: ApiContext) {
    return loaders.run.load(prediction.runId);
  }
}
