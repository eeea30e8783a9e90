import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { RunPairStore } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import type { BinaryLabelEnum } from '../common/enums.ts';
import { pageComplexity } from '../limits.ts';
import { EcgRecordType } from '../records/record.type.ts';
import { RunDisagreementsArgs } from './disagreement.args.ts';
import { RunDisagreementType } from './disagreement.type.ts';

@Resolver(() => RunDisagreementType)
export class DisagreementResolver {
  @Query(() => [RunDisagreementType], {
    description: 'The records both runs predicted where their scores differ most, largest |scoreA - scoreB| first.',
    complexity: pageComplexity,
  })
  async runDisagreements(@Args(() => RunDisagreementsArgs) args: RunDisagreementsArgs, @Ctx() { db }: ApiContext): Promise<RunDisagreementType[]> {
    const rows = await new RunPairStore(db).largestDisagreements(args.runA, args.runB, args.first);
    return rows.map((row) => ({ ...row, trueLabel: row.trueLabel as BinaryLabelEnum, difference: row.scoreA - row.scoreB }));
  }

  @FieldResolver(() => EcgRecordType, { description: 'The record.' })
  async record(@Root() row: RunDisagreementType, @Ctx() { loaders }: ApiContext) {
    return loaders.record.load(row.recordId);
  }
}
