import { Field, Float, Int, ObjectType } from 'type-graphql';
import { RecordLabelEnum } from '../common/enums.ts';

@ObjectType('LeadGroupAttribution', { description: 'How much one anatomical lead group mattered to a run\'s prediction for one record.' })
export class LeadGroupAttributionType {
  @Field(() => Int, { description: 'Run that produced it.' })
  runId!: number;

  @Field(() => Int, { description: 'Record explained.' })
  recordId!: number;

  @Field(() => String, { description: 'Lead group: `inferior`, `lateral`, `septal`, `anterior` or `aVR`.' })
  groupName!: string;

  @Field(() => Float, { nullable: true, description: "LeadGroupECG's attention weight on the group (weights of a record sum to 1); null for models without attention." })
  attentionWeight!: number | null;

  @Field(() => Float, { nullable: true, description: 'Score with the group masked minus the unmasked score (occlusion); null when not computed.' })
  occlusionDelta!: number | null;
}

@ObjectType('LeadGroupAttributionSummary', { description: 'Attributions of a run aggregated over records of one true label and one lead group.' })
export class LeadGroupAttributionSummaryType {
  @Field(() => RecordLabelEnum, { description: 'True label of the records aggregated.' })
  label!: RecordLabelEnum;

  @Field(() => String, { description: 'Lead group.' })
  groupName!: string;

  @Field(() => Int, { description: 'Records aggregated.' })
  n!: number;

  @Field(() => Float, { nullable: true, description: 'Mean attention weight.' })
  meanAttention!: number | null;

  @Field(() => Float, { nullable: true, description: 'Sample standard deviation of the attention weight.' })
  sdAttention!: number | null;

  @Field(() => Float, { nullable: true, description: 'Mean occlusion delta.' })
  meanOcclusionDelta!: number | null;

  @Field(() => Float, { nullable: true, description: 'Sample standard deviation of the occlusion delta.' })
  sdOcclusionDelta!: number | null;
}
