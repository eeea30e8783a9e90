import { sql } from 'drizzle-orm';
import { check, doublePrecision, index, integer, pgTable, smallint, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, refColumn } from './columns.ts';
import { records } from './datasets.ts';
import { runs } from './experiments.ts';
import { PARSE_STATUSES, SCORE_SOURCES, inList } from './enums.ts';

/**
 * Every LLM answer, doubling as a response cache: the key (model, prompt hash, image sha256, repeat)
 * identifies a request, so a re-run reads answers instead of paying for them again.
 */
export const llmResponses = pgTable(
  'llm_responses',
  {
    id: idColumn(),
    /** The run that first asked; cache hits from later runs read the same row. */
    runId: refColumn('run_id').references(() => runs.id, { onDelete: 'set null' }),
    recordId: refColumn('record_id')
      .notNull()
      .references(() => records.id, { onDelete: 'cascade' }),
    model: text('model').notNull(),
    provider: text('provider').notNull(),
    promptName: text('prompt_name').notNull(),
    promptHash: text('prompt_hash').notNull(),
    imageSha256: text('image_sha256').notNull(),
    /** Render style name or hash of the image (grid / grid-free). */
    imageStyle: text('image_style').notNull(),
    repeatIndex: integer('repeat_index').notNull().default(0),
    temperature: doublePrecision('temperature'),
    rawText: text('raw_text'),
    /** 0 = normal, 1 = abnormal; null when the answer could not be parsed. */
    parsedLabel: smallint('parsed_label'),
    /** The score used for ranking, P(abnormal) in [0, 1] (1/0 from the label for `hard-label`); null for `none`. */
    parsedScore: doublePrecision('parsed_score'),
    scoreSource: text('score_source', { enum: SCORE_SOURCES }).notNull().default('none'),
    parseStatus: text('parse_status', { enum: PARSE_STATUSES }).notNull(),
    latencyMs: integer('latency_ms'),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    costUsd: doublePrecision('cost_usd'),
    error: text('error'),
    createdAt: createdAtColumn(),
  },
  (t) => [
    // The cache key: insert-if-absent on it makes a resumed run skip answered requests, without duplicates.
    uniqueIndex('llm_responses_cache_key').on(t.model, t.promptHash, t.imageSha256, t.repeatIndex),
    // Responses of a run, paged by id.
    index('llm_responses_run_id_idx').on(t.runId, t.id),
    // Responses for one record (record detail page, per-record agreement across models).
    index('llm_responses_record_idx').on(t.recordId),
    check('llm_responses_parsed_label_check', sql.raw('"parsed_label" IS NULL OR "parsed_label" IN (0, 1)')),
    check('llm_responses_score_source_check', sql.raw(inList('score_source', SCORE_SOURCES))),
    check('llm_responses_parse_status_check', sql.raw(inList('parse_status', PARSE_STATUSES))),
  ],
);

export type LlmResponse = typeof llmResponses.$inferSelect;
export type NewLlmResponse = typeof llmResponses.$inferInsert;
