import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars.ts';
import { SplitEnum } from '../common/enums.ts';

@ObjectType({ description: 'Record counts of one split of a dataset, by label.' })
export class SplitCounts {
  @Field(() => SplitEnum, { nullable: true, description: 'The split; null for records without one (e.g. an external set).' })
  split!: SplitEnum | null;

  @Field(() => Int, { description: 'Records labelled normal.' })
  normal!: number;

  @Field(() => Int, { description: 'Records labelled abnormal.' })
  abnormal!: number;

  @Field(() => Int, { description: 'Records excluded by the label rule (never trained on or evaluated).' })
  excluded!: number;

  @Field(() => Int, { description: 'All records of the split.' })
  total!: number;
}

@ObjectType('Dataset', { description: 'An imported ECG dataset (PTB-XL, a PhysioNet/CinC set, or a manifest of WFDB files).' })
export class DatasetType {
  @Field(() => Int, { description: 'Database id.' })
  id!: number;

  @Field(() => String, { description: 'Unique dataset name, e.g. `ptbxl` or `chapman`.' })
  name!: string;

  @Field(() => String, { description: 'Importer that produced it: `ptbxl`, `cinc` or `manifest`.' })
  kind!: string;

  @Field(() => String, { description: 'Folder or archive the dataset was imported from.' })
  sourcePath!: string;

  @Field(() => String, { description: 'Name of the label rule that mapped source codes to normal/abnormal/excluded.' })
  labelRule!: string;

  @Field(() => DateTimeScalar, { description: 'When the dataset was first imported.' })
  createdAt!: Date;
}
