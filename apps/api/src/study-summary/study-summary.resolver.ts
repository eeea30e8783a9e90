import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { StudySummaryError, computeStudySummary, type SeedEstimate } from '@leadwise/study';
import type { ApiContext } from '../context.ts';
import { NotFoundError } from '../errors.ts';
import { StudySummaryArgs } from './study-summary.args.ts';
import { StudySummaryType } from './study-summary.type.ts';

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/** CIs are NaN when a seed lacks them; GraphQL Floats cannot carry NaN, so they become null. */
function toGraphql(estimate: SeedEstimate) {
  return {
    ...estimate,
    ciLow: finiteOrNull(estimate.ciLow),
    ciHigh: finiteOrNull(estimate.ciHigh),
    perSeed: estimate.perSeed.map((p) => ({ ...p, ciLow: finiteOrNull(p.ciLow), ciHigh: finiteOrNull(p.ciHigh) })),
  };
}

@Resolver(() => StudySummaryType)
export class StudySummaryResolver {
  @Query(() => StudySummaryType, {
    description: "The paper's table: model x internal/external x ROC-AUC and PR-AUC, mean ± SD over seeds with CIs, from finished evaluation runs.",
    complexity: 20,
  })
  async studySummary(@Args(() => StudySummaryArgs) args: StudySummaryArgs, @Ctx() { db }: ApiContext): Promise<StudySummaryType> {
    try {
      const summary = await computeStudySummary(db, args.experimentId);
      return {
        ...summary,
        rows: summary.rows.map((row) => ({
          ...row,
          role: row.role as StudySummaryType['rows'][number]['role'],
          rocAuc: toGraphql(row.rocAuc),
          prAuc: toGraphql(row.prAuc),
        })),
      };
    } catch (error) {
      if (error instanceof StudySummaryError) throw new NotFoundError('experiment', args.experimentId);
      throw error;
    }
  }
}
