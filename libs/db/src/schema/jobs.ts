import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { idColumn, refColumn, timestampColumn, timestamps } from './columns.ts';
import { runs } from './experiments.ts';
import { JOB_STATUSES, inList } from './enums.ts';

/**
 * Leadwise's own record of a job's progress. The queue mechanics (delivery, retries) may live in
 * a queue library such as pg-boss; this row is what the API shows and what a retried worker
 * resumes from (`checkpoint`).
 */
export const jobs = pgTable(
  'jobs',
  {
    id: idColumn(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status', { enum: JOB_STATUSES }).notNull().default('queued'),
    /** The run this job executes, when it executes one. */
    runId: refColumn('run_id').references(() => runs.id, { onDelete: 'set null' }),
    /** Id of the job in the external queue (e.g. pg-boss), to correlate the two. */
    queueJobId: text('queue_job_id'),
    progressDone: integer('progress_done').notNull().default(0),
    progressTotal: integer('progress_total'),
    /** Opaque state to resume from after a crash (epoch, batch, last record id). */
    checkpoint: jsonb('checkpoint').$type<Record<string, unknown>>(),
    attempts: integer('attempts').notNull().default(0),
    lockedBy: text('locked_by'),
    lockedAt: timestampColumn('locked_at'),
    heartbeatAt: timestampColumn('heartbeat_at'),
    /** Set by a cancel request; the worker checks it between steps and stops. */
    cancelRequestedAt: timestampColumn('cancel_requested_at'),
    startedAt: timestampColumn('started_at'),
    finishedAt: timestampColumn('finished_at'),
    error: text('error'),
    ...timestamps(),
  },
  (t) => [
    // Claiming: the oldest queued job (and stale running ones) of a kind.
    index('jobs_status_kind_id_idx').on(t.status, t.kind, t.id),
    // Cancel a run -> find its job.
    index('jobs_run_idx').on(t.runId),
    check('jobs_status_check', sql.raw(inList('status', JOB_STATUSES))),
  ],
);

export type Job = typeof jobs.$inferSelect;
export type NewJob = typeof jobs.$inferInsert;
