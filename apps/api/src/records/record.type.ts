import { pageNodesComplexity } from '../limits.ts';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import { RecordLabelEnum, SplitEnum } from '../common/enums.ts';
import { PageInfo } from '../pagination/page-info.type.ts';

@ObjectType('EcgRecord', { description: 'One ECG recording of a dataset, with its study label.' })
export class EcgRecordType {
  @Field(() => Int, { description: 'Database id.' })
  id!: number;

  @Field(() => Int, { description: 'Id of the dataset the record belongs to.' })
  datasetId!: number;

  @Field(() => String, { description: 'The record name in its source (PTB-XL `ecg_id`, CinC record name, manifest path).' })
  externalId!: string;

  @Field(() => String, { nullable: true, description: 'Patient id in the source, when it has one.' })
  patientId!: string | null;

  @Field(() => Int, { nullable: true, description: 'PTB-XL stratified fold (1-10); null for sources without folds.' })
  fold!: number | null;

  @Field(() => SplitEnum, { nullable: true, description: 'Split the record belongs to; null when the dataset has none.' })
  split!: SplitEnum | null;

  @Field(() => RecordLabelEnum, { description: 'Study label under the dataset label rule.' })
  label!: RecordLabelEnum;

  @Field(() => Float, { description: 'Sampling rate in Hz.' })
  samplingRateHz!: number;

  @Field(() => Int, { description: 'Length in samples per lead.' })
  lengthSamples!: number;

  @Field(() => Float, { nullable: true, description: 'Age in years, when the source gives it.' })
  ageYears!: number | null;

  @Field(() => String, { nullable: true, description: '`male` or `female`, when the source gives it.' })
  sex!: string | null;

  // Served by RecordResolver.signalPath, relative to the dataset.
  signalPath!: string;
}

@ObjectType({ description: 'A page of records.' })
export class EcgRecordConnection {
  @Field(() => [EcgRecordType], { description: 'The records of this page, by id.', complexity: pageNodesComplexity })
  nodes!: EcgRecordType[];

  @Field(() => PageInfo, { description: 'Cursor of the next page.' })
  pageInfo!: PageInfo;
}
