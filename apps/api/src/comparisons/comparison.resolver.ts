import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { RunPairStore } from '@leadwise/db';
import { MetricsInputError, delongPairedTest } from '@leadwise/metrics';
import type { ApiContext } from '../context.ts';
import { BadInputError, NotFoundError } from '../errors.ts';
import { CompareRunsArgs } from './comparison.args.ts';
import { RunComparisonType } from './comparison.type.ts';

@Resolver(() => RunComparisonType)
export class ComparisonResolver {
  @Query(() => RunComparisonType, {
    description: 'Compares the ROC-AUC of two runs on the records both predicted (DeLong paired test, CI of the difference, p-value).',
    // Reads every prediction of both runs (tens of thousands) and runs DeLong over them.
    complexity: 2_000,
  })
  async compareRuns(@Args(() => CompareRunsArgs) args: CompareRunsArgs, @Ctx() { db, loaders }: ApiContext): Promise<RunComparisonType> {
    const [runA, runB] = await Promise.all([loaders.run.load(args.runA), loaders.run.load(args.runB)]);
    if (!runA) throw new NotFoundError('run', args.runA);
    if (!runB) throw new NotFoundError('run', args.runB);
    const rows = await new RunPairStore(db).shared(args.runA, args.runB);
    if (rows.length === 0) {
      throw new BadInputError(`runs ${args.runA} and ${args.runB} have no predicted records in common`, 'runB');
    }
    const labels = Uint8Array.from(rows, (r) => r.trueLabel);
    const scoresA = Float64Array.from(rows, (r) => r.scoreA);
    const scoresB = Float64Array.from(rows, (r) => r.scoreB);
    try {
      const result = delongPairedTest(labels, scoresA, scoresB, { level: args.level }, {
        labels: 'trueLabel',
        scoresA: `run ${args.runA} scores`,
        scoresB: `run ${args.runB} scores`,
      });
      return {
        runA: args.runA,
        runB: args.runB,
        n: result.n,
        positives: result.positives,
        aucA: result.aucA,
        aucB: result.aucB,
        difference: result.difference,
        ciLow: result.lower,
        ciHigh: result.upper,
        level: result.level,
        z: result.z,
        pValue: result.pValue,
        correlation: Number.isFinite(result.correlation) ? result.correlation : null,
        method: result.method,
        note: result.note ?? null,
      };
    } catch (error) {
      if (error instanceof MetricsInputError) throw new BadInputError(`cannot compare runs ${args.runA} and ${args.runB}: ${error.message}`, 'runA');
      throw error;
    }
  }
}
