import { Args, Ctx, Extensions, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { DatasetStore, SPLITS, type Dataset } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import { BadInputError } from '../errors.ts';
import { DatasetArgs, DatasetsArgs } from './dataset.args.ts';
import { DatasetType, SplitCounts } from './dataset.type.ts';
import type { SplitEnum } from '../common/enums.ts';

const SPLIT_ORDER = [...SPLITS, null];

@Resolver(() => DatasetType)
export class DatasetResolver {
  @Query(() => [DatasetType], { description: 'All imported datasets, by name.' })
  async datasets(@Args(() => DatasetsArgs) args: DatasetsArgs, @Ctx() { db }: ApiContext): Promise<Dataset[]> {
    return new DatasetStore(db).list({ orderBy: 'name', limit: args.first });
  }

  @Query(() => DatasetType, { nullable: true, description: 'One dataset by id or name; null when there is none.' })
  async dataset(@Args(() => DatasetArgs) args: DatasetArgs, @Ctx() { db }: ApiContext): Promise<Dataset | null> {
    if ((args.id == null) === (args.name == null)) throw new BadInputError('give exactly one of `id` and `name`', 'id');
    const store = new DatasetStore(db);
    return (await (args.id != null ? store.getById(args.id) : store.getByName(args.name!))) ?? null;
  }

  @FieldResolver(() => Int, { description: 'Number of records in the dataset, all labels.' })
  async recordCount(@Root() dataset: Dataset, @Ctx() { loaders }: ApiContext): Promise<number> {
    const counts = await loaders.splitLabelCountsOfDataset.load(dataset.id);
    return counts.reduce((sum, c) => sum + c.count, 0);
  }

  @Extensions({ maxItems: SPLIT_ORDER.length })
  @FieldResolver(() => [SplitCounts], { description: 'Record counts per split (train, val, test, then none) and label.' })
  async splits(@Root() dataset: Dataset, @Ctx() { loaders }: ApiContext): Promise<SplitCounts[]> {
    const counts = await loaders.splitLabelCountsOfDataset.load(dataset.id);
    const bySplit = new Map<string | null, SplitCounts>();
    for (const { split, label, count } of counts) {
      let entry = bySplit.get(split);
      if (!entry) {
        entry = { split: split as SplitEnum | null, normal: 0, abnormal: 0, excluded: 0, total: 0 };
        bySplit.set(split, entry);
      }
      if (label === 'normal' || label === 'abnormal' || label === 'excluded') entry[label] += count;
      entry.total += count;
    }
    return [...bySplit.values()].sort((a, b) => SPLIT_ORDER.indexOf(a.split) - SPLIT_ORDER.indexOf(b.split));
  }
}
