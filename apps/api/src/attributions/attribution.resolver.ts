import { Args, Ctx, Extensions, Query, Resolver } from 'type-graphql';
import { AttributionStore } from '@leadwise/db';
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
    return new AttributionStore(db).forRunRecord(args.runId, args.recordId);
  }

  // One row per (label, lead group): normal, abnormal and excluded labels.
  @Extensions({ maxItems: 3 * LEAD_GROUP_NAMES.length })
  @Query(() => [LeadGroupAttributionSummaryType], {
    description: 'Attributions of a run aggregated per true label and lead group (mean and SD over records).',
  })
  async leadGroupAttributionSummary(@Args(() => AttributionSummaryArgs) args: AttributionSummaryArgs, @Ctx() { db }: ApiContext): Promise<LeadGroupAttributionSummaryType[]> {
    const rows = await new AttributionStore(db).summarizeByLabel(args.runId, { orderBy: 'label' });
    return rows.map((r) => ({
      label: r.label as RecordLabelEnum,
      groupName: r.groupName,
      n: r.n,
      meanAttention: r.meanAttentionWeight,
      sdAttention: r.sdAttentionWeight,
      meanOcclusionDelta: r.meanOcclusionDelta,
      sdOcclusionDelta: r.sdOcclusionDelta,
    }));
  }
}
