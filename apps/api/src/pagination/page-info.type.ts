import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Where a page sits in a cursor-paginated list (Relay style, forward only).' })
export class PageInfo {
  @Field(() => Boolean, { description: 'True when another page follows this one.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the last item of this page; pass it as `after` to get the next page. Null on an empty page.' })
  endCursor!: string | null;
}
