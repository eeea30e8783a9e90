import { Arg, Args, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { relativeSignalPath } from '@leadwise/ecg';
import { RecordStore, type RecordRow } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import { decodeCursor, encodeCursor } from '../pagination/cursor.ts';
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
    const page = await new RecordStore(db).list(
      { datasetId: args.datasetId, ...(args.split ? { split: args.split } : {}), ...(args.label ? { label: args.label } : {}) },
      { afterId: args.after ? decodeCursor(args.after)[1] : null, limit: args.first },
    );
    const last = page.items[page.items.length - 1];
    return { nodes: page.items, pageInfo: { hasNextPage: page.nextCursor !== null, endCursor: last ? encodeCursor([null, last.id]) : null } };
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
