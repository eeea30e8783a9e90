import { Field, Float, Int, ObjectType } from 'type-graphql';
import { BinaryLabelEnum } from '../common/enums.ts';

@ObjectType('RunDisagreement', { description: 'A record both runs predicted, with both scores.' })
export class RunDisagreementType {
  @Field(() => Int, { description: 'Record predicted by both runs.' })
  recordId!: number;

  @Field(() => BinaryLabelEnum, { description: 'True class.' })
  trueLabel!: BinaryLabelEnum;

  @Field(() => Float, { description: "Run A's score (probability of ABNORMAL)." })
  scoreA!: number;

  @Field(() => Float, { description: "Run B's score." })
  scoreB!: number;

  @Field(() => Float, { description: 'scoreA - scoreB.' })
  difference!: number;
}
