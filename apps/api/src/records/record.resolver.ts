import { Arg, Args, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { relativeSignalPath } from '@leadwise/ecg';
import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import { records, type RecordRow } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import { decodeCursor, slicePage } from '../pagination/cursor.ts';
import { pageComplexity } from '../limits.ts';
import { RecordsArgs } from './record.args.ts';
import { EcgRecordConnection, EcgRecordType } from './record.type.ts';

@Resolver(() => EcgRecordType)
export class RecordResolver {
  @Query(() => EcgRecordConnection, {
    description: 'Records of a dataset, optionally by split and label, in id order (cursor pagination).',
    complexity: pageComplexity,
  })
  async records(@Args(() => RecordsArgs) args: RecordsArgs, @Ctx() { db }: ApiContext) {
    const where: SQL[] = [eq(records.datasetId, args.datasetId)];
    if (args.split) where.push(eq(records.split, args.split));
    if (args.label) where.push(eq(records.label, args.label));
    if (args.after) where.push(gt(records.id, decodeCursor(args.after)[1]));
    const rows = await db
      .select()
      .from(records)
      .where(and(...where))
      .orderBy(asc(records.id))
      .limit(args.first + 1);
    const page = slicePage(rows, args.first, (r) => [null, r.id]);
    return { nodes: page.items, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
  }

  @Query(() => EcgRecordType, { nullable: true, description: 'One record by id; null when there is none.' })
  async record(@Arg('id', () => Int, { description: 'Record id.' }) id: number, @Ctx() { loaders }: ApiContext): Promise<RecordRow | null> {
    return loaders.record.load(id);
  }

  @FieldResolver(() => String, { description: 'Signal file (WFDB header) relative to the dataset source; server paths are never shown.' })
  async signalPath(@Root() record: RecordRow, @Ctx() { loaders }: ApiContext): Promise<string> {
    const dataset = await loaders.dataset.load(record.datasetId);
    return relativeSignalPath(record.signalPath, dataset?.sourcePath ?? '');
  }
}
