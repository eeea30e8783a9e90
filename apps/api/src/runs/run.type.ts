import { Field, Float, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars.ts';
import { RunKindEnum, RunStatusEnum } from '../common/enums.ts';

@ObjectType('Run', { description: 'One training, evaluation or LLM run of an experiment (MLflow-style run).' })
export class RunType {
  @Field(() => Int, { description: 'Database id.' })
  id!: number;

  @Field(() => Int, { description: 'Id of the experiment the run belongs to.' })
  experimentId!: number;

  @Field(() => String, { nullable: true, description: 'Human-readable name, e.g. `resnet18-seed1`.' })
  name!: string | null;

  @Field(() => RunKindEnum, { description: 'What the run does.' })
  kind!: RunKindEnum;

  @Field(() => String, { description: 'Model: an architecture (`leadgroup`, `resnet18`, ...) or an LLM id (`gpt-4.1`).' })
  model!: string;

  @Field(() => Int, { nullable: true, description: 'Random seed, for seeded runs.' })
  seed!: number | null;

  @Field(() => RunStatusEnum, { description: 'Lifecycle state.' })
  status!: RunStatusEnum;

  // Served by RunResolver.backend, which redacts credentials.
  backend!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When a worker started the run.' })
  startTime!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the run finished, failed or was cancelled.' })
  endTime!: Date | null;

  @Field(() => Float, { nullable: true, description: 'Wall time in milliseconds (Float: may exceed 32-bit integers).' })
  wallTimeMs!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the run failed, when it did.' })
  error!: string | null;

  @Field(() => String, { nullable: true, description: 'Where the trained weights are stored (URI).' })
  checkpointUri!: string | null;

  @Field(() => DateTimeScalar, { description: 'When the run was created (launched).' })
  createdAt!: Date;
}

@ObjectType('RunParam', { description: 'One input parameter of a run, written once.' })
export class RunParamType {
  @Field(() => String, { description: 'Parameter name, e.g. `learningRate`.' })
  key!: string;

  @Field(() => String, { description: 'Parameter value as text.' })
  value!: string;
}

@ObjectType('Metric', { description: 'The latest value of one metric of a run.' })
export class MetricType {
  @Field(() => String, { description: 'Metric name, e.g. `val.loss` or `test.roc_auc`.' })
  key!: string;

  @Field(() => Float, { description: 'Value (NaN/Infinity are sent as null by GraphQL and should not occur in finished runs).' })
  value!: number;

  @Field(() => Float, { description: 'Step (e.g. epoch) the value was logged at.' })
  step!: number;

  @Field(() => DateTimeScalar, { description: 'When the value was logged.' })
  timestamp!: Date;
}

@ObjectType('MetricPoint', { description: 'One point of a metric series (e.g. loss per epoch).' })
export class MetricPointType {
  @Field(() => Float, { description: 'Step the value was logged at.' })
  step!: number;

  @Field(() => Float, { description: 'Value.' })
  value!: number;

  @Field(() => DateTimeScalar, { description: 'When the value was logged.' })
  timestamp!: Date;
}

@ObjectType('Artifact', { description: 'A large output of a run (checkpoint, plot), stored by URI.' })
export class ArtifactType {
  @Field(() => String, { description: 'Logical path within the run, e.g. `checkpoint/model.json`.' })
  path!: string;

  @Field(() => String, { description: 'Kind of artifact, e.g. `checkpoint`.' })
  kind!: string;

  @Field(() => String, { description: 'Where it is stored.' })
  uri!: string;

  @Field(() => String, { nullable: true, description: 'SHA-256 of the content.' })
  sha256!: string | null;

  @Field(() => Float, { nullable: true, description: 'Size in bytes.' })
  sizeBytes!: number | null;
}
