import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar, JsonObjectScalar } from '../common/scalars.ts';
import { ExperimentStatusEnum } from '../common/enums.ts';

@ObjectType('Experiment', { description: 'A study configuration and the runs made under it (MLflow-style experiment).' })
export class ExperimentType {
  @Field(() => Int, { description: 'Database id.' })
  id!: number;

  @Field(() => String, { description: 'Experiment name from its config.' })
  name!: string;

  @Field(() => String, { description: 'SHA-256 of the canonical resolved config: the same config maps to the same experiment.' })
  configHash!: string;

  @Field(() => JsonObjectScalar, { description: 'The study config the experiment was created from, after defaults and profile.' })
  config!: Record<string, unknown>;

  @Field(() => ExperimentStatusEnum, { description: 'Lifecycle state.' })
  status!: ExperimentStatusEnum;

  @Field(() => DateTimeScalar, { description: 'When the experiment was created.' })
  createdAt!: Date;
}
