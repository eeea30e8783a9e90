import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { LeadwiseDatabase } from '../client.ts';
import { predictions } from '../schema/predictions.ts';
import { clampLimit } from './store-kit.ts';

/** One record both runs predicted, with each run's score. */
export interface PairedPrediction {
  recordId: number;
  trueLabel: number;
  scoreA: number;
  scoreB: number;
}

/** Two runs' predictions on the records they share (the sample a paired test compares). */
export class RunPairStore {
  constructor(private readonly db: LeadwiseDatabase) {}

  /**
   * The shared records where the two runs' scores differ most, largest |scoreA - scoreB| first
   * (ties by record id). Reads both runs through `predictions_run_record_key`.
   */
  /** Every record both runs predicted, in record id order (the sample of a paired DeLong test). */
  async shared(runA: number, runB: number): Promise<PairedPrediction[]> {
    const b = alias(predictions, 'b');
    return this.db
      .select({ recordId: predictions.recordId, trueLabel: predictions.trueLabel, scoreA: predictions.score, scoreB: b.score })
      .from(predictions)
      .innerJoin(b, and(eq(b.recordId, predictions.recordId), eq(b.runId, runB)))
      .where(eq(predictions.runId, runA))
      .orderBy(asc(predictions.recordId));
  }

  async largestDisagreements(runA: number, runB: number, limit?: number): Promise<PairedPrediction[]> {
    const b = alias(predictions, 'b');
    const gap = sql`abs(${predictions.score} - ${b.score})`;
    return this.db
      .select({ recordId: predictions.recordId, trueLabel: predictions.trueLabel, scoreA: predictions.score, scoreB: b.score })
      .from(predictions)
      .innerJoin(b, and(eq(b.recordId, predictions.recordId), eq(b.runId, runB)))
      .where(eq(predictions.runId, runA))
      .orderBy(desc(gap), asc(predictions.recordId))
      .limit(clampLimit(limit));
  }
}
