import { Args, Ctx, Extensions, Query, Resolver } from 'type-graphql';
import { and, asc, eq, sql } from 'drizzle-orm';
import { leadGroupAttributions, records } from '@leadwise/db';
import { LEAD_GROUP_NAMES } from '@leadwise/ecg';
import type { ApiContext } from '../context.ts';
import type { RecordLabelEnum } from '../common/enums.ts';
import { AttributionSummaryArgs, RecordAttributionsArgs } from './attribution.args.ts';
import { LeadGroupAttributionSummaryType, LeadGroupAttributionType } from './attribution.type.ts';

@Resolver(() => LeadGroupAttributionType)
export class AttributionResolver {
  // One row per lead group.
  @Extensions({ maxItems: LEAD_GROUP_NAMES.length })
  @Query(() => [LeadGroupAttributionType], { description: 'Lead-group attributions of one record in one run, by group name.' })
  async leadGroupAttributions(@Args(() => RecordAttributionsArgs) args: RecordAttributionsArgs, @Ctx() { db }: ApiContext) {
    return db
      .select()
      .from(leadGroupAttributions)
      .where(and(eq(leadGroupAttributions.runId, args.runId), eq(leadGroupAttributions.recordId, args.recordId)))
      .orderBy(asc(leadGroupAttributions.groupName));
  }

  // One row per (label, lead group): normal, abnormal and excluded labels.
  @Extensions({ maxItems: 3 * LEAD_GROUP_NAMES.length })
  @Query(() => [LeadGroupAttributionSummaryType], {
    description: 'Attributions of a run aggregated per true label and lead group (mean and SD over records).',
  })
  async leadGroupAttributionSummary(@Args(() => AttributionSummaryArgs) args: AttributionSummaryArgs, @Ctx() { db }: ApiContext): Promise<LeadGroupAttributionSummaryType[]> {
    const rows = await db
      .select({
        label: records.label,
        groupName: leadGroupAttributions.groupName,
        n: sql<number>`count(*)::int`,
        meanAttention: sql<number | null>`avg(${leadGroupAttributions.attentionWeight})`,
        sdAttention: sql<number | null>`stddev_samp(${leadGroupAttributions.attentionWeight})`,
        meanOcclusionDelta: sql<number | null>`avg(${leadGroupAttributions.occlusionDelta})`,
        sdOcclusionDelta: sql<number | null>`stddev_samp(${leadGroupAttributions.occlusionDelta})`,
      })
      .from(leadGroupAttributions)
      .innerJoin(records, eq(records.id, leadGroupAttributions.recordId))
      .where(eq(leadGroupAttributions.runId, args.runId))
      .groupBy(records.label, leadGroupAttributions.groupName)
      .orderBy(asc(records.label), asc(leadGroupAttributions.groupName));
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return rows.map((r) => ({
      label: r.label as RecordLabelEnum,
      groupName: r.groupName,
      n: Number(r.n),
      meanAttention: num(r.meanAttention),
      sdAttention: num(r.sdAttention),
      meanOcclusionDelta: num(r.meanOcclusionDelta),
      sdOcclusionDelta: num(r.sdOcclusionDelta),
    }));
  }
}
