import { Field, InputType, Int } from 'type-graphql';
import { IsObject, IsOptional, Length, Matches, Max, Min } from 'class-validator';
import { STUDY_MODELS } from '@leadwise/study';
import { JsonObjectScalar } from '../common/scalars.ts';
import { RunKindEnum } from '../common/enums.ts';

@InputType({
  description:
    'Work to launch. TRAIN creates a QUEUED train run at once; EVALUATE (of `parentRunId` on `dataset`) and LLM create their run when a worker starts the job.',
})
export class LaunchRunInput {
  @Field(() => Int, { description: 'Experiment the run belongs to.' })
  @Min(1)
  experimentId!: number;

  @Field(() => RunKindEnum, { description: 'TRAIN a CNN, EVALUATE a trained run on a dataset, or ask an LLM.' })
  kind!: RunKindEnum;

  @Field(() => String, { nullable: true, description: `TRAIN: architecture (${STUDY_MODELS.map((m) => `\`${m}\``).join(', ')}); LLM: model id. Ignored for EVALUATE.` })
  @IsOptional()
  @Length(1, 100)
  @Matches(/^[A-Za-z0-9._:/-]+$/, { message: 'model may contain letters, digits and . _ : / - only' })
  model?: string | null;

  @Field(() => Int, { nullable: true, description: 'Random seed (TRAIN).' })
  @IsOptional()
  @Min(0)
  @Max(2 ** 31 - 1)
  seed?: number | null;

  @Field(() => String, { nullable: true, description: 'Dataset to train on, evaluate on, or show the LLM, by name (required).' })
  @IsOptional()
  @Length(1, 200)
  dataset?: string | null;

  @Field(() => Int, { nullable: true, description: 'Train run whose weights an EVALUATE run uses.' })
  @IsOptional()
  @Min(1)
  parentRunId?: number | null;

  @Field(() => JsonObjectScalar, {
    nullable: true,
    description:
      'Job settings, checked before anything is queued. TRAIN: profile, epochs, batchSize, learningRate, inputHeight, inputWidth, widthMultiplier, maxTrainSamples, maxValSamples, maxTestSamples, gridStyle, augment, evaluateOn (dataset names), evaluateInternal, evaluateMaxSamples. EVALUATE: split, maxSamples, gridStyle. LLM: provider (required), split, limit, repeats, style, dpi, promptName, temperature, concurrency, requestsPerMinute, timeoutMs.',
  })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown> | null;
}
