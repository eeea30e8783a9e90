import { Field, InputType, Int } from 'type-graphql';
import { IsObject, IsOptional, Length, Matches, Max, Min } from 'class-validator';
import { JsonObjectScalar } from '../common/scalars.ts';
import { RunKindEnum } from '../common/enums.ts';

@InputType({ description: 'A run to launch: it is created as QUEUED and a worker picks up its job.' })
export class LaunchRunInput {
  @Field(() => Int, { description: 'Experiment the run belongs to.' })
  @Min(1)
  experimentId!: number;

  @Field(() => RunKindEnum, { description: 'TRAIN a CNN, EVALUATE a trained run on a dataset, or ask an LLM.' })
  kind!: RunKindEnum;

  @Field(() => String, { description: 'Architecture (`leadgroup`, `resnet18`, `densenet121`, `vgg16`) or LLM model id.' })
  @Length(1, 100)
  @Matches(/^[A-Za-z0-9._:/-]+$/, { message: 'model may contain letters, digits and . _ : / - only' })
  model!: string;

  @Field(() => Int, { nullable: true, description: 'Random seed (TRAIN).' })
  @IsOptional()
  @Min(0)
  @Max(2 ** 31 - 1)
  seed?: number | null;

  @Field(() => String, { nullable: true, description: 'Dataset to train or evaluate on, by name.' })
  @IsOptional()
  @Length(1, 200)
  dataset?: string | null;

  @Field(() => Int, { nullable: true, description: 'Train run whose weights an EVALUATE run uses.' })
  @IsOptional()
  @Min(1)
  parentRunId?: number | null;

  @Field(() => String, { nullable: true, description: 'Display name; defaults to `<model>-<kind>[-seed<N>]`.' })
  @IsOptional()
  @Length(1, 200)
  name?: string | null;

  @Field(() => JsonObjectScalar, {
    nullable: true,
    description: 'Job settings for the worker (e.g. `{"epochs": 2, "limit": 64}` for a tiny run); recorded as the run params.',
  })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown> | null;
}
