import { Arg, Args, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ExperimentStore, type Experiment, type Run } from '@leadwise/db';
import { StudyConfigError, parseStudyConfig, resolveStudyPlan } from '@leadwise/study';
import type { ApiContext } from '../context.ts';
import { BadInputError } from '../errors.ts';
import { RunType } from '../runs/run.type.ts';
import { CreateExperimentInput } from './experiment.input.ts';
import { ExperimentRunsArgs, ExperimentsArgs } from './experiment.args.ts';
import { ExperimentType } from './experiment.type.ts';

@Resolver(() => ExperimentType)
export class ExperimentResolver {
  @Query(() => [ExperimentType], { description: 'Experiments, newest first.' })
  async experiments(@Args(() => ExperimentsArgs) args: ExperimentsArgs, @Ctx() { db }: ApiContext): Promise<Experiment[]> {
    const page = await new ExperimentStore(db).list({ ...(args.status ? { status: args.status } : {}), limit: args.first });
    return page.items;
  }

  @Query(() => ExperimentType, { nullable: true, description: 'One experiment by id; null when there is none.' })
  async experiment(@Arg('id', () => Int, { description: 'Experiment id.' }) id: number, @Ctx() { loaders }: ApiContext) {
    return loaders.experiment.load(id);
  }

  @FieldResolver(() => [RunType], { description: 'Runs of the experiment, oldest first.' })
  async runs(@Root() experiment: Experiment, @Args(() => ExperimentRunsArgs) args: ExperimentRunsArgs, @Ctx() { loaders }: ApiContext): Promise<Run[]> {
    return (await loaders.runsOfExperiment.load(experiment.id)).slice(0, args.first);
  }

  @Authorized()
  @Mutation(() => ExperimentType, {
    description:
      'Creates an experiment from a study config, or returns the existing one when the resolved config is the same (same hash). Needs the API key.',
  })
  async createExperiment(@Arg('input', () => CreateExperimentInput, { description: 'The config to create the experiment from.' }) input: CreateExperimentInput, @Ctx() { db }: ApiContext): Promise<Experiment> {
    let plan;
    try {
      plan = resolveStudyPlan(parseStudyConfig(input.config, 'input.config'), input.profile ?? undefined);
    } catch (error) {
      if (error instanceof StudyConfigError) throw new BadInputError(error.message, 'input.config');
      throw error;
    }
    const { experiment } = await new ExperimentStore(db).createOrGetStudy(plan);
    return experiment;
  }
}
