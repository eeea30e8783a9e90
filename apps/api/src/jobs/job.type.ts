import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars.ts';
import { JobStatusEnum } from '../common/enums.ts';

@ObjectType('Job', { description: 'A unit of work claimed by one worker at a time; carries progress and the retry history of a run.' })
export class JobType {
  @Field(() => Int, { description: 'Database id.' })
  id!: number;

  @Field(() => String, { description: 'Job kind: `train`, `evaluate` or `llm`.' })
  kind!: string;

  @Field(() => JobStatusEnum, { description: 'Lifecycle state.' })
  status!: JobStatusEnum;

  @Field(() => Int, { nullable: true, description: 'Run the job executes.' })
  runId!: number | null;

  @Field(() => Int, { description: 'Units of work done (epochs, batches or records, per kind).' })
  progressDone!: number;

  @Field(() => Int, { nullable: true, description: 'Units of work in total, when known.' })
  progressTotal!: number | null;

  @Field(() => Int, { description: 'How many times a worker started the job (more than 1 after a worker died or a retry).' })
  attempts!: number;

  @Field(() => String, { nullable: true, description: 'Worker that holds or last held the job (host:pid:n).' })
  lockedBy!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Last heartbeat of the worker running it.' })
  heartbeatAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When a cancel was requested.' })
  cancelRequestedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the first attempt started.' })
  startedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it finished, failed for good or was cancelled.' })
  finishedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Last error message, when an attempt failed.' })
  error!: string | null;
}
