import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { LeadwiseDatabase } from '../client.ts';
import type { ExperimentStatus } from '../schema/enums.ts';
import { experiments, type Experiment, type NewExperiment } from '../schema/experiments.ts';
import type { IncludeDeleted } from './dataset-store.ts';
import { clampLimit, type Page } from './store-kit.ts';

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

  /** Newest first; `beforeId` is the previous page's `nextCursor`. */
  async list(options: IncludeDeleted & { beforeId?: number | null; limit?: number } = {}): Promise<Page<Experiment>> {
    const limit = clampLimit(options.limit);
    const rows = await this.db
      .select()
      .from(experiments)
      .where(
        and(
          options.includeDeleted ? undefined : isNull(experiments.deletedAt),
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
