import { Extensions, Field, Float, Int, ObjectType } from 'type-graphql';
import { MAX_RUNS_ACROSS, type Run } from '@leadwise/db';
import { pageNodesComplexity, type ListFieldExtensions } from '../limits.ts';
import { BinaryLabelEnum, SplitEnum } from '../common/enums.ts';
import { PageInfo } from '../pagination/page-info.type.ts';
import { RunType } from '../runs/run.type.ts';

@ObjectType('RecordAcrossRuns', { description: 'One record and the score each chosen run gave it.' })
export class RecordAcrossRunsType {
  @Field(() => Int, { description: 'Record id.' })
  recordId!: number;

  @Field(() => Int, { description: 'Dataset of the record.' })
  datasetId!: number;

  @Field(() => SplitEnum, { nullable: true, description: 'Split of the record.' })
  split!: SplitEnum | null;

  @Field(() => BinaryLabelEnum, { description: 'True class.' })
  trueLabel!: BinaryLabelEnum;

  @Extensions({ maxItems: MAX_RUNS_ACROSS } satisfies ListFieldExtensions)
  @Field(() => [Float], { nullable: 'items', description: "Each run's score (probability of ABNORMAL), in the order of `runIds`; null where that run did not predict the record." })
  scores!: (number | null)[];
}

@ObjectType('RecordsAcrossRunsConnection', { description: 'A page of records across several runs.' })
export class RecordsAcrossRunsConnection {
  @Extensions({ maxItems: MAX_RUNS_ACROSS } satisfies ListFieldExtensions)
  @Field(() => [Int], { description: 'The runs of the score columns, in order.' })
  runIds!: number[];

  @Extensions({ maxItems: MAX_RUNS_ACROSS } satisfies ListFieldExtensions)
  @Field(() => [RunType], { description: 'The same runs, to label the columns.' })
  runs!: Run[];

  @Field(() => [RecordAcrossRunsType], { description: 'The records of this page, by record id.', complexity: pageNodesComplexity })
  nodes!: RecordAcrossRunsType[];

  @Field(() => PageInfo, { description: 'Cursor of the next page.' })
  pageInfo!: PageInfo;
}
