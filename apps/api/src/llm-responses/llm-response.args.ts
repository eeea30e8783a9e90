import { ArgsType, Field, Int } from 'type-graphql';
import { IsIn, IsOptional, Length, Min } from 'class-validator';
import { PARSE_STATUSES, type ParseStatus } from '@leadwise/db';
import { PageArgs } from '../pagination/pagination.args.ts';

@ArgsType()
export class LlmResponsesArgs extends PageArgs {
  @Field(() => Int, { nullable: true, description: 'Only responses first asked by this run.' })
  @IsOptional()
  @Min(1)
  runId?: number | null;

  @Field(() => Int, { nullable: true, description: 'Only responses about this record.' })
  @IsOptional()
  @Min(1)
  recordId?: number | null;

  @Field(() => String, { nullable: true, description: 'Only responses of this model.' })
  @IsOptional()
  @Length(1, 200)
  model?: string | null;

  @Field(() => String, { nullable: true, description: `Only responses with this parse status (${PARSE_STATUSES.map((s) => `\`${s}\``).join(', ')}).` })
  @IsOptional()
  @IsIn(PARSE_STATUSES)
  parseStatus?: ParseStatus | null;
}
