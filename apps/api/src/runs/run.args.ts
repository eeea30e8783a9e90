import { ArgsType, Field, Int } from 'type-graphql';
import { IsOptional, Length, Min } from 'class-validator';
import { RunKindEnum, RunStatusEnum } from '../common/enums.ts';
import { firstArgs } from '../pagination/first-args.ts';

@ArgsType()
export class RunsArgs extends firstArgs(100, 1000, 'runs') {
  @Field(() => Int, { nullable: true, description: 'Only runs of this experiment.' })
  @IsOptional()
  @Min(1)
  experimentId?: number | null;

  @Field(() => RunStatusEnum, { nullable: true, description: 'Only runs in this state.' })
  @IsOptional()
  status?: RunStatusEnum | null;

  @Field(() => RunKindEnum, { nullable: true, description: 'Only runs of this kind.' })
  @IsOptional()
  kind?: RunKindEnum | null;

  @Field(() => String, { nullable: true, description: 'Only runs of this model.' })
  @IsOptional()
  @Length(1, 200)
  model?: string | null;
}

@ArgsType()
export class RunParamsArgs extends firstArgs(100, 1000, 'parameters') {}

@ArgsType()
export class RunMetricsArgs extends firstArgs(100, 1000, 'metrics') {}

@ArgsType()
export class RunArtifactsArgs extends firstArgs(50, 500, 'artifacts') {}

@ArgsType()
export class MetricSeriesArgs extends firstArgs(1000, 10_000, 'points') {
  @Field(() => String, { description: 'Metric name.' })
  @Length(1, 200)
  key!: string;
}
