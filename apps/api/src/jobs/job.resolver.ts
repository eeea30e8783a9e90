import { Arg, Args, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { JobStore, type Job } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { RunType } from '../runs/run.type.ts';
import { JobsArgs } from './job.args.ts';
import { JobType } from './job.type.ts';

@Resolver(() => JobType)
export class JobResolver {
  @Query(() => JobType, { nullable: true, description: 'One job by id; null when there is none.' })
  async job(@Arg('id', () => Int, { description: 'Job id.' }) id: number, @Ctx() { db }: ApiContext): Promise<Job | null> {
    return (await new JobStore(db).getById(id)) ?? null;
  }

  @Query(() => [JobType], { description: 'Jobs in id order, optionally by status and kind (at most `first`).' })
  async jobs(@Args(() => JobsArgs) args: JobsArgs, @Ctx() { db }: ApiContext): Promise<Job[]> {
    const page = await new JobStore(db).list({ status: args.status ?? undefined, kind: args.kind ?? undefined, limit: args.first });
    return page.items;
  }

  @FieldResolver(() => RunType, { nullable: true, description: 'The run the job executes (EVALUATE and LLM jobs get theirs when a worker creates it).' })
  async run(@Root() job: Job, @Ctx() { loaders }: ApiContext) {
    return job.runId === null ? null : loaders.run.load(job.runId);
  }

  @Authorized()
  @Mutation(() => JobType, { description: 'Cancels a job that has no run yet (or any job): queued ones never start, running ones stop at their next step. Needs the API key.' })
  async cancelJob(@Arg('id', () => Int, { description: 'Job id.' }) id: number, @Ctx() { db, queue }: ApiContext): Promise<Job> {
    if (!queue) throw new ConflictError('this API instance has no job queue');
    const job = await new JobStore(db).getById(id);
    if (!job) throw new NotFoundError('job', id);
    if (job.status !== 'queued' && job.status !== 'running') throw new ConflictError(`job ${id} is already ${job.status}`);
    return queue.cancelJob(id);
  }
}
