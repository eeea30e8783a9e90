import { Args, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { and, asc, count, desc, eq, gt, gte, lte, sql, type SQL } from 'drizzle-orm';
import { predictions, type Prediction } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import { BadInputError } from '../errors.ts';
import { pageComplexity } from '../limits.ts';
import { decodeCursor, slicePage } from '../pagination/cursor.ts';
import { EcgRecordType } from '../records/record.type.ts';
import { PredictionOrder, PredictionsArgs } from './prediction.args.ts';
import { PredictionConnection, PredictionType } from './prediction.type.ts';

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
    const filters: SQL[] = [eq(predictions.runId, args.runId)];
    // Spelled exactly like the partial index predicate so the planner can use it.
    if (args.misclassified === true) filters.push(sql`${predictions.trueLabel} <> ${predictions.predictedLabel}`);
    if (args.misclassified === false) filters.push(sql`${predictions.trueLabel} = ${predictions.predictedLabel}`);
    if (args.trueLabel != null) filters.push(eq(predictions.trueLabel, args.trueLabel));
    if (args.minScore != null) filters.push(gte(predictions.score, args.minScore));
    if (args.maxScore != null) filters.push(lte(predictions.score, args.maxScore));
    const where = and(...filters);

    const pageFilters = [...filters];
    if (args.after) {
      const [cursorScore, cursorId] = decodeCursor(args.after);
      if (args.orderBy === PredictionOrder.ID) pageFilters.push(gt(predictions.id, cursorId));
      else {
        if (typeof cursorScore !== 'number') throw new BadInputError('after: cursor was issued for a different order', 'after');
        pageFilters.push(
          args.orderBy === PredictionOrder.SCORE_ASC
            ? sql`(${predictions.score}, ${predictions.id}) > (${cursorScore}, ${cursorId})`
            : sql`(${predictions.score}, ${predictions.id}) < (${cursorScore}, ${cursorId})`,
        );
      }
    }
    const order =
      args.orderBy === PredictionOrder.ID
        ? [asc(predictions.id)]
        : args.orderBy === PredictionOrder.SCORE_ASC
          ? [asc(predictions.score), asc(predictions.id)]
          : [desc(predictions.score), desc(predictions.id)];
    const rows = await db
      .select()
      .from(predictions)
      .where(and(...pageFilters))
      .orderBy(...order)
      .limit(args.first + 1);
    const page = slicePage(rows, args.first, (p) => [args.orderBy === PredictionOrder.ID ? null : p.score, p.id]);
    return { nodes: page.items, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor }, where };
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
    const [row] = await db.select({ n: count() }).from(predictions).where(connection.where);
    return Number(row?.n ?? 0);
  }
}
