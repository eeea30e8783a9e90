import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { PredictionStore } from '@leadwise/db';
import { calibration, prCurve, rocCurve } from '@leadwise/metrics';
import type { ApiContext } from '../context.ts';
import { NotFoundError } from '../errors.ts';
import { RunCurvesArgs } from './run-curves.args.ts';
import { RunCurvesType, type CurvePointType } from './run-curves.type.ts';

/** Keeps at most `maxPoints` of a curve, evenly spaced by index, always with both ends. */
export function thinCurve(points: CurvePointType[], maxPoints: number): CurvePointType[] {
  if (points.length <= maxPoints) return points;
  const step = (points.length - 1) / (maxPoints - 1);
  return Array.from({ length: maxPoints }, (_, i) => points[Math.round(i * step)]!);
}

const finiteOrNull = (value: number) => (Number.isFinite(value) ? value : null);

@Resolver()
export class RunCurvesResolver {
  @Query(() => RunCurvesType, {
    description: "A run's ROC and precision-recall curves and calibration (reliability bins, Brier, ECE), from its stored predictions.",
    // Reads every prediction of the run, like compareRuns.
    complexity: 1_000,
  })
  async runCurves(@Args(() => RunCurvesArgs) args: RunCurvesArgs, @Ctx() { db, loaders }: ApiContext): Promise<RunCurvesType> {
    if (!(await loaders.run.load(args.runId))) throw new NotFoundError('run', args.runId);
    const rows = await new PredictionStore(db).scoredLabels(args.runId);
    const labels = Uint8Array.from(rows, (r) => r.trueLabel);
    const scores = Float64Array.from(rows, (r) => r.score);
    const positives = labels.reduce((sum, label) => sum + label, 0);
    const result: RunCurvesType = {
      runId: args.runId,
      n: rows.length,
      positives,
      rocAuc: null,
      averagePrecision: null,
      roc: [],
      pr: [],
      brier: null,
      ece: null,
      calibration: [],
    };
    if (rows.length === 0) return result;
    const summary = calibration(labels, scores, args.calibrationBins);
    result.brier = summary.brier;
    result.ece = summary.ece;
    result.calibration = summary.bins;
    // Both curves need both classes (a rate over zero records is undefined).
    if (positives > 0 && positives < rows.length) {
      const roc = rocCurve(labels, scores);
      result.rocAuc = roc.auc;
      result.roc = thinCurve(roc.fpr.map((x, i) => ({ x, y: roc.tpr[i]!, threshold: finiteOrNull(roc.thresholds[i]!) })), args.maxPoints);
      const pr = prCurve(labels, scores);
      result.averagePrecision = pr.averagePrecision;
      result.pr = thinCurve(pr.recall.map((x, i) => ({ x, y: pr.precision[i]!, threshold: finiteOrNull(pr.thresholds[i]!) })), args.maxPoints);
    }
    return result;
  }
}
