import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { LeadwiseDatabase } from '../client.ts';
import type { ExperimentStatus } from '../schema/enums.ts';
import { experiments, type Experiment, type NewExperiment } from '../schema/experiments.ts';
import type { IncludeDeleted } from './dataset-store.ts';
import { clampLimit, type Page } from './store-kit.ts';

/**
 * What a study experiment is made of: its resolved config (what `datasets.internal.name` and the
 * rest are read from) and what the training profile decided (seeds, record limits, LLM arm size).
 * The study library's `ResolvedStudyPlan` has this shape.
 */
export interface StudyExperimentPlan {
  config: { name: string };
  hash: string;
  seeds: readonly number[];
  recordLimits: Readonly<Record<string, number | null>>;
  llm: Readonly<Record<string, number>>;
}

export class ExperimentStore {
  constructor(private readonly db: LeadwiseDatabase) {}

  /**
   * The experiment for this config hash: the existing one (restored if it was soft-deleted), so a
   * re-run resumes it, or a new one when the config changed. `created` tells which happened.
   */
  async createOrGet(input: NewExperiment): Promise<{ experiment: Experiment; created: boolean }> {
    const [inserted] = await this.db.insert(experiments).values(input).onConflictDoNothing({ target: experiments.configHash }).returning();
    if (inserted) return { experiment: inserted, created: true };
    const [existing] = await this.db
      .update(experiments)
      .set({ deletedAt: null, updatedAt: sql`now()` })
      .where(eq(experiments.configHash, input.configHash))
      .returning();
    return { experiment: existing, created: false };
  }

  /**
   * The one writer of a study's experiment row (the study runner and the API's createExperiment
   * both call it): the config at top level with the profile's decisions under `plan`, keyed by the
   * plan's hash, so whichever writes first stores the same contents.
   */
  createOrGetStudy(plan: StudyExperimentPlan): Promise<{ experiment: Experiment; created: boolean }> {
    const { seeds, recordLimits, llm } = plan;
    // Through JSON so that the stored value is what a read gives back (no undefined keys).
    const config = JSON.parse(JSON.stringify({ ...plan.config, plan: { seeds, recordLimits, llm } })) as Record<string, unknown>;
    return this.createOrGet({ name: plan.config.name, config, configHash: plan.hash });
  }

  async getById(id: number, options: IncludeDeleted = {}): Promise<Experiment | undefined> {
    const [row] = await this.db
      .select()
      .from(experiments)
      .where(and(eq(experiments.id, id), options.includeDeleted ? undefined : isNull(experiments.deletedAt)));
    return row;
  }

  async getByConfigHash(configHash: string, options: IncludeDeleted = {}): Promise<Experiment | undefined> {
    const [row] = await this.db
      .select()
      .from(experiments)
      .where(and(eq(experiments.configHash, configHash), options.includeDeleted ? undefined : isNull(experiments.deletedAt)));
    return row;
  }

  /** For DataLoaders: experiments with these ids, in no particular order. */
  async getByIds(ids: readonly number[], options: IncludeDeleted = {}): Promise<Experiment[]> {
    if (ids.length === 0) return [];
    return this.db
      .select()
      .from(experiments)
      .where(and(inArray(experiments.id, [...ids]), options.includeDeleted ? undefined : isNull(experiments.deletedAt)));
  }

  /** Newest first, optionally only those in `status`; `beforeId` is the previous page's `nextCursor`. */
  async list(options: IncludeDeleted & { status?: ExperimentStatus; beforeId?: number | null; limit?: number } = {}): Promise<Page<Experiment>> {
    const limit = clampLimit(options.limit);
    const rows = await this.db
      .select()
      .from(experiments)
      .where(
        and(
          options.includeDeleted ? undefined : isNull(experiments.deletedAt),
          options.status !== undefined ? eq(experiments.status, options.status) : undefined,
          options.beforeId != null ? lt(experiments.id, options.beforeId) : undefined,
        ),
      )
      .orderBy(desc(experiments.id))
      .limit(limit + 1);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  async setStatus(id: number, status: ExperimentStatus): Promise<Experiment | undefined> {
    const [row] = await this.db.update(experiments).set({ status, updatedAt: sql`now()` }).where(eq(experiments.id, id)).returning();
    return row;
  }

  async softDelete(id: number): Promise<boolean> {
    const rows = await this.db
      .update(experiments)
      .set({ deletedAt: sql`now()` })
      .where(and(eq(experiments.id, id), isNull(experiments.deletedAt)))
      .returning({ id: experiments.id });
    return rows.length > 0;
  }

  async restore(id: number): Promise<boolean> {
    const rows = await this.db.update(experiments).set({ deletedAt: null }).where(eq(experiments.id, id)).returning({ id: experiments.id });
    return rows.length > 0;
  }
}
