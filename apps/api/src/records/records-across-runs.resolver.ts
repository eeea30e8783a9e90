import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { RecordsAcrossRunsStore, type BinaryLabel, type PredictionFilter, type Run } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import type { BinaryLabelEnum } from '../common/enums.ts';
import { BadInputError, NotFoundError } from '../errors.ts';
import { pageComplexity } from '../limits.ts';
import { decodeCursor, encodeCursor } from '../pagination/cursor.ts';
import { EcgRecordType } from './record.type.ts';
import { RecordsAcrossRunsArgs } from './records-across-runs.args.ts';
import { RecordAcrossRunsType, RecordsAcrossRunsConnection } from './records-across-runs.type.ts';

/** The same records across several runs side by side: one row per record, one score column per run. */
@Resolver(() => RecordAcrossRunsType)
export class RecordsAcrossRunsResolver {
  @Query(() => RecordsAcrossRunsConnection, {
    description: "The first run's records (filtered by its predictions, as `predictions` filters them) with every chosen run's score, in record id order (cursor pagination).",
    complexity: pageComplexity,
  })
  async recordsAcrossRuns(@Args(() => RecordsAcrossRunsArgs) args: RecordsAcrossRunsArgs, @Ctx() { loaders, db }: ApiContext): Promise<RecordsAcrossRunsConnection> {
    if (args.minScore != null && args.maxScore != null && args.minScore > args.maxScore) {
      throw new BadInputError(`minScore (${args.minScore}) is greater than maxScore (${args.maxScore})`, 'minScore');
    }
    const found = await loaders.run.loadMany(args.runIds);
    const runs = found.filter((run): run is Run => run !== null && !(run instanceof Error));
    const missing = args.runIds.find((id) => !runs.some((run) => run.id === id));
    if (missing !== undefined) throw new NotFoundError('run', missing);
    const filter: Omit<PredictionFilter, 'runId'> = {
      ...(args.misclassified != null ? { misclassified: args.misclassified } : {}),
      ...(args.trueLabel != null ? { trueLabel: args.trueLabel as BinaryLabel } : {}),
      ...(args.minScore != null ? { scoreMin: args.minScore } : {}),
      ...(args.maxScore != null ? { scoreMax: args.maxScore } : {}),
      ...(args.datasetId != null ? { datasetId: args.datasetId } : {}),
      ...(args.split != null ? { split: args.split } : {}),
    };
    const afterRecordId = args.after ? decodeCursor(args.after)[1] : null;
    const page = await new RecordsAcrossRunsStore(db).page(args.runIds, filter, { afterRecordId, limit: args.first });
    const last = page.items[page.items.length - 1];
    return {
      runIds: args.runIds,
      runs,
      nodes: page.items.map((row) => ({ ...row, trueLabel: row.trueLabel as BinaryLabelEnum })),
      pageInfo: { hasNextPage: page.nextCursor !== null, endCursor: last ? encodeCursor([null, last.recordId]) : null },
    };
  }

  @FieldResolver(() => EcgRecordType, { description: 'The record.' })
  async record(@Root() row: RecordAcrossRunsType, @Ctx() { loaders }: ApiContext) {
    return loaders.record.load(row.recordId);
  }
}
