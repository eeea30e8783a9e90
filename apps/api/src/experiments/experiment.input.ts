import { Field, InputType } from 'type-graphql';
import { IsObject, IsOptional, IsIn } from 'class-validator';
import { STUDY_PROFILES, type StudyProfile } from '@leadwise/study';
import { JsonObjectScalar } from '../common/scalars.ts';

@InputType({ description: 'A study config (the same fields as study.yaml) to create or find an experiment from.' })
export class CreateExperimentInput {
  @Field(() => JsonObjectScalar, {
    description: 'Study config as JSON, validated field by field (see study.yaml for every field and its default).',
  })
  @IsObject()
  config!: Record<string, unknown>;

  @Field(() => String, { nullable: true, description: `Profile to apply (${STUDY_PROFILES.map((p) => `\`${p}\``).join(', ')}); overrides \`config.profile\`.` })
  @IsOptional()
  @IsIn(STUDY_PROFILES)
  profile?: StudyProfile | null;
}
