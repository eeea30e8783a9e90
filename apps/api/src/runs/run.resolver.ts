import { Arg, Args, Authorized, Ctx, FieldResolver, Float, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DatasetStore, RunStore, type Job, type Run } from '@leadwise/db';
import { redactSecrets } from '@leadwise/llm';
import { JobPayloadError, STUDY_MODELS, parseEvaluateJobPayload, parseLlmJobPayload, parseTrainJobPayload } from '@leadwise/study';
import { RunKindEnum } from '../common/enums.ts';
import type { ApiContext } from '../context.ts';
import { BadInputError, ConflictError, NotFoundError } from '../errors.ts';
import { DatasetType } from '../datasets/dataset.type.ts';
import { ExperimentType } from '../experiments/experiment.type.ts';
import { JobType } from '../jobs/job.type.ts';
import { MetricSeriesArgs, RunArtifactsArgs, RunMetricsArgs, RunParamsArgs, RunsArgs } from './run.args.ts';
import { LaunchRunInput } from './run.input.ts';
import { ArtifactType, MetricPointType, MetricType, RunParamType, RunType } from './run.type.ts';

@Resolver(() => RunType)
export class RunResolver {
  @Query(() => [RunType], { description: 'Runs, newest first, filtered by experiment, state, kind and model.' })
  async runs(@Args(() => RunsArgs) args: RunsArgs, @Ctx() { db }: ApiContext): Promise<Run[]> {
    return new RunStore(db).listNewest(
      {
        ...(args.experimentId ? { experimentId: args.experimentId } : {}),
        ...(args.status ? { status: args.status } : {}),
        ...(args.kind ? { kind: args.kind } : {}),
        ...(args.model ? { model: args.model } : {}),
      },
      args.first,
    );
  }

  @Query(() => RunType, { nullable: true, description: 'One run by id; null when there is none.' })
  async run(@Arg('id', () => Int, { description: 'Run id.' }) id: number, @Ctx() { loaders }: ApiContext): Promise<Run | null> {
    return loaders.run.load(id);
  }

  @FieldResolver(() => ExperimentType, { description: 'The experiment the run belongs to.' })
  async experiment(@Root() run: Run, @Ctx() { loaders }: ApiContext) {
    return loaders.experiment.load(run.experimentId);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Compute backend (`tfjs-wasm`, `tfjs-node`, `onnxruntime`) or the LLM provider endpoint, with any credentials in it redacted.',
  })
  backend(@Root() run: Run): string | null {
    // Runs stored before URLs were redacted at write time may still carry them.
    return run.backend === null ? null : redactSecrets(run.backend);
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
  async params(@Root() run: Run, @Args(() => RunParamsArgs) args: RunParamsArgs, @Ctx() { loaders }: ApiContext) {
    return (await loaders.paramsOfRun.load(run.id)).slice(0, args.first);
  }

  @FieldResolver(() => [MetricType], { description: 'Latest value of every metric, by key.' })
  async latestMetrics(@Root() run: Run, @Args(() => RunMetricsArgs) args: RunMetricsArgs, @Ctx() { loaders }: ApiContext) {
    return (await loaders.latestMetricsOfRun.load(run.id)).slice(0, args.first);
  }

  @FieldResolver(() => Float, { nullable: true, description: 'Latest value of one metric; null when the run never logged it.' })
  async metric(@Root() run: Run, @Arg('key', () => String, { description: 'Metric name.' }) key: string, @Ctx() { loaders }: ApiContext) {
    const metrics = await loaders.latestMetricsOfRun.load(run.id);
    return metrics.find((m) => m.key === key)?.value ?? null;
  }

  @FieldResolver(() => [MetricPointType], { description: 'History of one metric in step order (e.g. `train.loss` per epoch).' })
  async metricSeries(@Root() run: Run, @Args(() => MetricSeriesArgs) args: MetricSeriesArgs, @Ctx() { loaders }: ApiContext) {
    return (await loaders.metricSeries.load(`${run.id}/${args.key}`)).slice(0, args.first);
  }

  @FieldResolver(() => [ArtifactType], { description: 'Stored outputs of the run.' })
  async artifacts(@Root() run: Run, @Args(() => RunArtifactsArgs) args: RunArtifactsArgs, @Ctx() { loaders }: ApiContext) {
    return (await loaders.artifactsOfRun.load(run.id)).slice(0, args.first);
  }

  @FieldResolver(() => JobType, { nullable: true, description: 'The latest job executing the run, with its progress and attempts.' })
  async job(@Root() run: Run, @Ctx() { loaders }: ApiContext) {
    return loaders.latestJobOfRun.load(run.id);
  }

  @Authorized()
  @Mutation(() => JobType, {
    description:
      'Queues work for the workers and returns its job (whose `run` is the TRAIN run at once, or the EVALUATE/LLM run once a worker created it). Needs the API key.',
  })
  async launchRun(@Arg('input', () => LaunchRunInput, { description: 'What to run.' }) input: LaunchRunInput, @Ctx() { db, loaders, queue }: ApiContext): Promise<Job> {
    if (!queue) throw new ConflictError('this API instance has no job queue; start it with `leadwise serve`');
    const experiment = await loaders.experiment.load(input.experimentId);
    if (!experiment) throw new NotFoundError('experiment', input.experimentId);
    if (!input.dataset) throw new BadInputError('dataset: required (the dataset to train on, evaluate on, or show the LLM)', 'dataset');
    const dataset = await new DatasetStore(db).getByName(input.dataset);
    if (!dataset) throw new NotFoundError('dataset', input.dataset);
    const params = input.params ?? {};
    const validated = <T>(parse: () => T): T => {
      try {
        return parse();
      } catch (error) {
        if (error instanceof JobPayloadError) throw new BadInputError(error.message.replace(/^\w+ job payload is invalid: /, 'params: '), `params.${error.fields[0] ?? ''}`);
        throw error;
      }
    };

    if (input.kind === RunKindEnum.TRAIN) {
      if (!input.model || !(STUDY_MODELS as readonly string[]).includes(input.model)) {
        throw new BadInputError(`model: TRAIN needs one of ${STUDY_MODELS.join(', ')}`, 'model');
      }
      const seed = input.seed ?? 1;
      // Checked before the run exists: a refused launch leaves nothing behind (runId is a placeholder).
      validated(() => parseTrainJobPayload({ ...params, runId: 1 }));
      const run = await new RunStore(db).create({
        experimentId: experiment.id,
        kind: 'train',
        model: input.model,
        seed,
        datasetId: dataset.id,
        name: `${input.model} seed ${seed}`,
        status: 'queued',
      });
      return queue.enqueue({ kind: 'train', runId: run.id, payload: { ...params, runId: run.id } });
    }
    if (input.kind === RunKindEnum.EVALUATE) {
      if (!input.parentRunId) throw new BadInputError('parentRunId: EVALUATE needs the train run to evaluate', 'parentRunId');
      const parent = await loaders.run.load(input.parentRunId);
      if (!parent) throw new NotFoundError('run', input.parentRunId);
      if (parent.kind !== 'train') throw new BadInputError(`parentRunId: run ${parent.id} is a ${parent.kind} run, not a train run`, 'parentRunId');
      if (parent.status !== 'finished') throw new ConflictError(`run ${parent.id} is ${parent.status}; only a finished train run can be evaluated`);
      const payload = { ...params, trainRunId: parent.id, dataset: dataset.name };
      validated(() => parseEvaluateJobPayload(payload));
      return queue.enqueue({ kind: 'evaluate', runId: null, payload });
    }
    if (!input.model) throw new BadInputError('model: LLM needs the model id, e.g. `gpt-4.1`', 'model');
    const payload = { ...params, model: input.model, dataset: dataset.name, experimentId: experiment.id };
    validated(() => parseLlmJobPayload(payload));
    return queue.enqueue({ kind: 'llm', runId: null, payload });
  }

  @Authorized()
  @Mutation(() => RunType, {
    description:
      'Cancels a run: a queued job never starts, a running one stops at its next step and the run ends CANCELLED. Finished runs cannot be cancelled. Needs the API key.',
  })
  async cancelRun(@Arg('id', () => Int, { description: 'Run id.' }) id: number, @Ctx() { db, queue }: ApiContext): Promise<Run> {
    if (!queue) throw new ConflictError('this API instance has no job queue');
    const runStore = new RunStore(db);
    const run = await runStore.getById(id);
    if (!run) throw new NotFoundError('run', id);
    if (run.status === 'finished' || run.status === 'failed' || run.status === 'cancelled') {
      throw new ConflictError(`run ${id} is already ${run.status}`);
    }
    await queue.cancelRun(id);
    return (await runStore.getById(id, { includeDeleted: true }))!;
  }
}
