import { Arg, Args, Authorized, Ctx, FieldResolver, Float, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { and, desc, eq, isNull, type SQL } from 'drizzle-orm';
import { datasets, runParams, runs, type Run } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import { BadInputError, ConflictError, NotFoundError } from '../errors.ts';
import { DatasetType } from '../datasets/dataset.type.ts';
import { ExperimentType } from '../experiments/experiment.type.ts';
import { JobType } from '../jobs/job.type.ts';
import { RunsArgs } from './run.args.ts';
import { LaunchRunInput } from './run.input.ts';
import { ArtifactType, MetricPointType, MetricType, RunParamType, RunType } from './run.type.ts';

@Resolver(() => RunType)
export class RunResolver {
  @Query(() => [RunType], { description: 'Runs, newest first, filtered by experiment, state, kind and model.' })
  async runs(@Args(() => RunsArgs) args: RunsArgs, @Ctx() { db }: ApiContext): Promise<Run[]> {
    const where: SQL[] = [isNull(runs.deletedAt)];
    if (args.experimentId) where.push(eq(runs.experimentId, args.experimentId));
    if (args.status) where.push(eq(runs.status, args.status));
    if (args.kind) where.push(eq(runs.kind, args.kind));
    if (args.model) where.push(eq(runs.model, args.model));
    return db.select().from(runs).where(and(...where)).orderBy(desc(runs.id)).limit(1000);
  }

  @Query(() => RunType, { nullable: true, description: 'One run by id; null when there is none.' })
  async run(@Arg('id', () => Int, { description: 'Run id.' }) id: number, @Ctx() { loaders }: ApiContext): Promise<Run | null> {
    return loaders.run.load(id);
  }

  @FieldResolver(() => ExperimentType, { description: 'The experiment the run belongs to.' })
  async experiment(@Root() run: Run, @Ctx() { loaders }: ApiContext) {
    return loaders.experiment.load(run.experimentId);
  }

  @FieldResolver(() => RunType, { nullable: true, description: 'The train run an EVALUATE run evaluates.' })
  async parentRun(@Root() run: Run, @Ctx() { loaders }: ApiContext) {
    return run.parentRunId === null ? null : loaders.run.load(run.parentRunId);
  }

  @FieldResolver(() => DatasetType, { nullable: true, description: 'Dataset the run trained or evaluated on.' })
  async dataset(@Root() run: Run, @Ctx() { loaders }: ApiContext) {
    return run.datasetId === null ? null : loaders.dataset.load(run.datasetId);
  }

  @FieldResolver(() => [RunParamType], { description: 'Input parameters, by key.' })
  async params(@Root() run: Run, @Ctx() { loaders }: ApiContext) {
    return loaders.paramsOfRun.load(run.id);
  }

  @FieldResolver(() => [MetricType], { description: 'Latest value of every metric, by key.' })
  async latestMetrics(@Root() run: Run, @Ctx() { loaders }: ApiContext) {
    return loaders.latestMetricsOfRun.load(run.id);
  }

  @FieldResolver(() => Float, { nullable: true, description: 'Latest value of one metric; null when the run never logged it.' })
  async metric(@Root() run: Run, @Arg('key', () => String, { description: 'Metric name.' }) key: string, @Ctx() { loaders }: ApiContext) {
    const metrics = await loaders.latestMetricsOfRun.load(run.id);
    return metrics.find((m) => m.key === key)?.value ?? null;
  }

  @FieldResolver(() => [MetricPointType], { description: 'History of one metric in step order (e.g. `train.loss` per epoch).' })
  async metricSeries(@Root() run: Run, @Arg('key', () => String, { description: 'Metric name.' }) key: string, @Ctx() { loaders }: ApiContext) {
    return loaders.metricSeries.load(`${run.id}/${key}`);
  }

  @FieldResolver(() => [ArtifactType], { description: 'Stored outputs of the run.' })
  async artifacts(@Root() run: Run, @Ctx() { loaders }: ApiContext) {
    return loaders.artifactsOfRun.load(run.id);
  }

  @FieldResolver(() => JobType, { nullable: true, description: 'The latest job executing the run, with its progress and attempts.' })
  async job(@Root() run: Run, @Ctx() { loaders }: ApiContext) {
    return loaders.latestJobOfRun.load(run.id);
  }

  @Authorized()
  @Mutation(() => RunType, { description: 'Creates a run and enqueues its job for a worker. Needs the API key.' })
  async launchRun(@Arg('input', () => LaunchRunInput, { description: 'What to run.' }) input: LaunchRunInput, @Ctx() { db, loaders, queue }: ApiContext): Promise<Run> {
    if (!queue) throw new ConflictError('this API instance has no job queue; start it with `leadwise serve` or point it at PostgreSQL');
    const experiment = await loaders.experiment.load(input.experimentId);
    if (!experiment) throw new NotFoundError('experiment', input.experimentId);
    let datasetId: number | null = null;
    if (input.dataset) {
      const [dataset] = await db.select({ id: datasets.id }).from(datasets).where(eq(datasets.name, input.dataset));
      if (!dataset) throw new NotFoundError('dataset', input.dataset);
      datasetId = dataset.id;
    }
    if (input.parentRunId) {
      const parent = await loaders.run.load(input.parentRunId);
      if (!parent) throw new NotFoundError('run', input.parentRunId);
      if (parent.kind !== 'train') throw new BadInputError(`parentRunId: run ${parent.id} is a ${parent.kind} run, not a train run`, 'parentRunId');
    }
    if (input.kind === 'evaluate' && !input.parentRunId) throw new BadInputError('parentRunId: an EVALUATE run needs the train run to evaluate', 'parentRunId');
    const params = input.params ?? {};
    const name = input.name ?? `${input.model}-${input.kind}${input.seed != null ? `-seed${input.seed}` : ''}`;
    const run = await db.transaction(async (tx) => {
      const [created] = await tx
        .insert(runs)
        .values({
          experimentId: experiment.id,
          kind: input.kind,
          model: input.model,
          seed: input.seed ?? null,
          datasetId,
          parentRunId: input.parentRunId ?? null,
          name,
          status: 'queued',
        })
        .returning();
      const entries = Object.entries(params);
      if (entries.length > 0) {
        await tx.insert(runParams).values(
          entries.map(([key, value]) => ({ runId: created!.id, key, value: typeof value === 'string' ? value : JSON.stringify(value) })),
        );
      }
      return created!;
    });
    await queue.enqueue({ kind: input.kind, runId: run.id, payload: { runId: run.id, ...params } });
    return run;
  }

  @Authorized()
  @Mutation(() => RunType, {
    description:
      'Cancels a run: a queued job never starts, a running one stops at its next step and the run ends CANCELLED. Finished runs cannot be cancelled. Needs the API key.',
  })
  async cancelRun(@Arg('id', () => Int, { description: 'Run id.' }) id: number, @Ctx() { db, queue }: ApiContext): Promise<Run> {
    if (!queue) throw new ConflictError('this API instance has no job queue');
    const [run] = await db.select().from(runs).where(and(eq(runs.id, id), isNull(runs.deletedAt)));
    if (!run) throw new NotFoundError('run', id);
    if (run.status === 'finished' || run.status === 'failed' || run.status === 'cancelled') {
      throw new ConflictError(`run ${id} is already ${run.status}`);
    }
    await queue.cancelRun(id);
    const [after] = await db.select().from(runs).where(eq(runs.id, id));
    return after!;
  }
}
