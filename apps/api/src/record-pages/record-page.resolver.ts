import { GraphQLError } from 'graphql';
import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { LEAD_GROUPS, type LeadName } from '@leadwise/ecg';
import { recordPage } from '@leadwise/study';
import type { ApiContext } from '../context.ts';
import { RecordPageArgs } from './record-page.args.ts';
import { RecordPageType } from './record-page.type.ts';

const GROUP_OF_LEAD = new Map<string, string>(Object.entries(LEAD_GROUPS).flatMap(([group, leads]) => leads.map((lead: LeadName) => [lead, group])));

/** Where the API serves a record's page image (see record-page.route.ts). */
export function recordPageUrl(recordId: number, style: string): string {
  return `/records/${recordId}/page.png?style=${style}`;
}

@Resolver()
export class RecordPageResolver {
  @Query(() => RecordPageType, {
    nullable: true,
    description: 'The rendered page of a record with its lead boxes (rendered on first request, then cached); null when there is no such record.',
    // Rendering a page that is not cached yet costs a few hundred milliseconds of CPU.
    complexity: 100,
  })
  async recordPage(@Args(() => RecordPageArgs) args: RecordPageArgs, @Ctx() { db, loaders }: ApiContext): Promise<RecordPageType | null> {
    const record = await loaders.record.load(args.recordId);
    if (!record) return null;
    // The reader's message names server paths, so the client only learns that the file is missing.
    const page = await recordPage(db, record, args.style).catch(() => {
      throw new GraphQLError(`the signal file of record ${record.id} cannot be read on this server`, { extensions: { code: 'NOT_FOUND' } });
    });
    const { sidecar } = page;
    return {
      recordId: record.id,
      style: args.style,
      imageUrl: recordPageUrl(record.id, args.style),
      widthPx: sidecar.widthPx,
      heightPx: sidecar.heightPx,
      leadBoxes: sidecar.leadBoxes.map((box) => ({
        lead: box.lead,
        groupName: GROUP_OF_LEAD.get(box.lead) ?? 'unknown',
        kind: box.kind,
        x0: box.cellNorm.x0,
        y0: box.cellNorm.y0,
        x1: box.cellNorm.x1,
        y1: box.cellNorm.y1,
      })),
    };
  }
}
