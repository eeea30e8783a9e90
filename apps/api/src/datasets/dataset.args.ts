import { ArgsType, Field, Int } from 'type-graphql';
import { IsOptional, Length, Min } from 'class-validator';
import { firstArgs } from '../pagination/first-args.ts';

@ArgsType()
export class DatasetArgs {
  @Field(() => Int, { nullable: true, description: 'Dataset id; give this or `name`.' })
  @IsOptional()
  @Min(1)
  id?: number | null;

  @Field(() => String, { nullable: true, description: 'Dataset name; give this or `id`.' })
  @IsOptional()
  @Length(1, 200)
  name?: string | null;
}

@ArgsType()
export class DatasetsArgs extends firstArgs(100, 1000, 'datasets') {}
