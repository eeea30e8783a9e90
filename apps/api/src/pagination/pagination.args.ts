import { ArgsType, Field, Int } from 'type-graphql';
import { IsOptional, Max, Min } from 'class-validator';

export const MAX_PAGE_SIZE = 500;

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: 50, description: `Page size, 1 to ${MAX_PAGE_SIZE}.` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first!: number;

  @Field(() => String, { nullable: true, description: 'Cursor after which the page starts (`pageInfo.endCursor` of the previous page).' })
  @IsOptional()
  after?: string | null;
}
