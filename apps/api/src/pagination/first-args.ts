import { ArgsType, Field, Int } from 'type-graphql';
import { Max, Min } from 'class-validator';

/**
 * Args of a plain (uncursored) list: at most `first` items, capped at `maxFirst`. The cost estimate
 * multiplies the list's selection by `first`, so the cap is what bounds a query's work.
 */
export function firstArgs(defaultFirst: number, maxFirst: number, items: string) {
  @ArgsType()
  class FirstArgs {
    @Field(() => Int, { defaultValue: defaultFirst, description: `At most this many ${items}, 1 to ${maxFirst}.` })
    @Min(1)
    @Max(maxFirst)
    first!: number;
  }
  return FirstArgs;
}
