import { Args, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { PredictionStore, type BinaryLabel, type Prediction, type PredictionCursor, type PredictionFilter, type PredictionSort } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import { BadInputError } from '../errors.ts';
import { pageComplexity } from '../limits.ts';
import { decodeCursor, encodeCursor } from '../pagination/cursor.ts';
import { EcgRecordType } from '../records/record.type.ts';
import { PredictionOrder, PredictionsArgs } from './prediction.args.ts';
import { PredictionConnection, PredictionType } from './prediction.type.ts';

const SORTS: Record<PredictionOrder, PredictionSort> = {
  [PredictionOrder.ID]: 'id',
  [PredictionOrder.SCORE_ASC]: 'scoreAsc',
  [PredictionOrder.SCORE_DESC]: 'scoreDesc',
};

@Resolver(() => PredictionType)
export class PredictionResolver {
  @Query(() => PredictionConnection, {
    description: 'Per-record predictions of a run, filtered and sorted, in pages (keyset cursor pagination).',
    complexity: pageComplexity,
  })
  async predictions(@Args(() => PredictionsArgs) args: PredictionsArgs, @Ctx() { db }: ApiContext): Promise<PredictionConnection> {
    if (args.minScore != null && args.maxScore != null && args.minScore > args.maxScore) {
      throw new BadInputError(`minScore (${args.minScore}) is greater than maxScore (${args.maxScore})`, 'minScore');
    }
    const filter: PredictionFilter = {
      runId: args.runId,
      ...(args.misclassified != null ? { misclassified: args.misclassified } : {}),
      ...(args.trueLabel != null ? { trueLabel: args.trueLabel as BinaryLabel } : {}),
      ...(args.minScore != null ? { scoreMin: args.minScore } : {}),
      ...(args.maxScore != null ? { scoreMax: args.maxScore } : {}),
      ...(args.datasetId != null ? { datasetId: args.datasetId } : {}),
      ...(args.split != null ? { split: args.split } : {}),
    };
    const sort = SORTS[args.orderBy];
    let cursor: PredictionCursor | null = null;
    if (args.after) {
      const [cursorScore, cursorId] = decodeCursor(args.after);
      if (sort !== 'id' && typeof cursorScore !== 'number') throw new BadInputError('after: this cursor was issued for a different order', 'after');
      cursor = sort === 'id' ? { id: cursorId } : { id: cursorId, score: cursorScore as number };
    }
    const page = await new PredictionStore(db).page(filter, { sort, cursor, limit: args.first });
    const last = page.items[page.items.length - 1];
    return {
      nodes: page.items,
      pageInfo: {
        hasNextPage: page.nextCursor !== null,
        endCursor: last ? encodeCursor([sort === 'id' ? null : last.score, last.id]) : null,
      },
      filter,
    };
  }

  @FieldResolver(() => EcgRecordType, { description: 'The record predicted.' })
  async record(@Root() prediction: Prediction, @Ctx() { loaders }: ApiContext) {
    return loaders.record.load(prediction.recordId);
  }

  @FieldResolver(() => Boolean, { description: 'True when the predicted class differs from the true one.' })
  misclassified(@Root() prediction: Prediction): boolean {
    return prediction.trueLabel !== prediction.predictedLabel;
  }
}

@Resolver(() => PredictionConnection)
export class PredictionConnectionResolver {
  @FieldResolver(() => Int, { description: 'Number of predictions matching the filters (all pages); costs a count query, so ask only when needed.' })
  async totalCount(@Root() connection: PredictionConnection, @Ctx() { db }: ApiContext): Promise<number> {
    return new PredictionStore(db).count(connection.filter);
  }
}
