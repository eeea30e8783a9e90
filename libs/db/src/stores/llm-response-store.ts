import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { LeadwiseDatabase } from '../client.ts';
import type { ParseStatus } from '../schema/enums.ts';
import { llmResponses, type LlmResponse, type NewLlmResponse } from '../schema/llm-responses.ts';
import { chunk, clampLimit, excludedColumns, type Page } from './store-kit.ts';

/** What identifies one LLM request: the same key means the same question about the same image. */
export interface LlmCacheKey {
  model: string;
  promptHash: string;
  imageSha256: string;
  repeatIndex: number;
}

export interface LlmResponseFilter {
  runId?: number;
  recordId?: number;
  model?: string;
  parseStatus?: ParseStatus;
}

/** Columns replaced when a cached `error` row is retried (everything but the key and the first run). */
const RETRY_COLUMNS = [
  'provider',
  'promptName',
  'imageStyle',
  'temperature',
  'rawText',
  'parsedLabel',
  'parsedScore',
  'scoreSource',
  'parseStatus',
  'latencyMs',
  'promptTokens',
  'completionTokens',
  'costUsd',
  'error',
] as const;

export class LlmResponseStore {
  constructor(private readonly db: LeadwiseDatabase) {}

  async getByCacheKey(key: LlmCacheKey): Promise<LlmResponse | undefined> {
    const [row] = await this.db
      .select()
      .from(llmResponses)
      .where(
        and(
          eq(llmResponses.model, key.model),
          eq(llmResponses.promptHash, key.promptHash),
          eq(llmResponses.imageSha256, key.imageSha256),
          eq(llmResponses.repeatIndex, key.repeatIndex),
        ),
      );
    return row;
  }

  /**
   * Stores a response unless one with the same cache key exists; returns the stored row and
   * whether this call wrote it. An existing row whose `parseStatus` is `error` (no answer: timeout,
   * rate limit) is replaced, so transient failures are retried while real answers are never re-bought.
   * Concurrent writers of one key end with one row.
   */
  async insertIfAbsent(row: NewLlmResponse): Promise<{ response: LlmResponse; inserted: boolean }> {
    const [written] = await this.db
      .insert(llmResponses)
      .values(row)
      .onConflictDoUpdate({
        target: [llmResponses.model, llmResponses.promptHash, llmResponses.imageSha256, llmResponses.repeatIndex],
        set: { ...excludedColumns(llmResponses, RETRY_COLUMNS), createdAt: sql`now()` },
        setWhere: sql`${llmResponses.parseStatus} = 'error'`,
      })
      .returning();
    if (written) return { response: written, inserted: true };
    const existing = await this.getByCacheKey({
      model: row.model,
      promptHash: row.promptHash,
      imageSha256: row.imageSha256,
      repeatIndex: row.repeatIndex ?? 0,
    });
    if (!existing) throw new Error('llm response vanished between conflict and read'); // unreachable: rows are never deleted here
    return { response: existing, inserted: false };
  }

  /** Responses matching every given filter, in id order, one page at a time. */
  async list(filter: LlmResponseFilter, options: { afterId?: number | null; limit?: number } = {}): Promise<Page<LlmResponse>> {
    const limit = clampLimit(options.limit);
    const rows = await this.db
      .select()
      .from(llmResponses)
      .where(
        and(
          filter.runId !== undefined ? eq(llmResponses.runId, filter.runId) : undefined,
          filter.recordId !== undefined ? eq(llmResponses.recordId, filter.recordId) : undefined,
          filter.model !== undefined ? eq(llmResponses.model, filter.model) : undefined,
          filter.parseStatus !== undefined ? eq(llmResponses.parseStatus, filter.parseStatus) : undefined,
          options.afterId != null ? gt(llmResponses.id, options.afterId) : undefined,
        ),
      )
      .orderBy(asc(llmResponses.id))
      .limit(limit + 1);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  /** Responses first written by a run, in id order. */
  async listByRun(runId: number, options: { afterId?: number | null; limit?: number } = {}): Promise<Page<LlmResponse>> {
    const limit = clampLimit(options.limit);
    const rows = await this.db
      .select()
      .from(llmResponses)
      .where(and(eq(llmResponses.runId, runId), options.afterId != null ? gt(llmResponses.id, options.afterId) : undefined))
      .orderBy(asc(llmResponses.id))
      .limit(limit + 1);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  /** Every cached response of this model and prompt about any of these images (all repeats), in chunks of 500 images a query. */
  async listForImages(model: string, promptHash: string, imageSha256s: readonly string[]): Promise<LlmResponse[]> {
    const found: LlmResponse[] = [];
    for (const shas of chunk(imageSha256s, 500)) {
      found.push(
        ...(await this.db
          .select()
          .from(llmResponses)
          .where(and(eq(llmResponses.model, model), eq(llmResponses.promptHash, promptHash), inArray(llmResponses.imageSha256, shas)))),
      );
    }
    return found;
  }

  async byRecord(recordId: number): Promise<LlmResponse[]> {
    return this.db.select().from(llmResponses).where(eq(llmResponses.recordId, recordId)).orderBy(asc(llmResponses.id));
  }
}
