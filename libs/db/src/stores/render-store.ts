import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type { LeadwiseDatabase } from '../client.ts';
import {
  renderStyles,
  renderedImages,
  type NewRenderStyle,
  type NewRenderedImage,
  type RenderStyle,
  type RenderedImage,
} from '../schema/renders.ts';
import { bulkUpsert } from './bulk-upsert.ts';
import { clampLimit, type Page } from './store-kit.ts';

export class RenderStore {
  constructor(private readonly db: LeadwiseDatabase) {}

  /** The style row for these params (by hash), created on first use; the name is not changed later. */
  async upsertStyle(input: NewRenderStyle): Promise<RenderStyle> {
    const [inserted] = await this.db.insert(renderStyles).values(input).onConflictDoNothing({ target: renderStyles.hash }).returning();
    if (inserted) return inserted;
    const [existing] = await this.db.select().from(renderStyles).where(eq(renderStyles.hash, input.hash));
    return existing;
  }

  async getStyleById(id: number): Promise<RenderStyle | undefined> {
    const [row] = await this.db.select().from(renderStyles).where(eq(renderStyles.id, id));
    return row;
  }

  async getStyleByHash(hash: string): Promise<RenderStyle | undefined> {
    const [row] = await this.db.select().from(renderStyles).where(eq(renderStyles.hash, hash));
    return row;
  }

  async listStyles(): Promise<RenderStyle[]> {
    return this.db.select().from(renderStyles).orderBy(asc(renderStyles.id));
  }

  /** Inserts or replaces images by (record, style): a re-render overwrites the file's row. */
  async upsertImages(rows: readonly NewRenderedImage[], options: { chunkSize?: number } = {}): Promise<number> {
    const written = await bulkUpsert(this.db, renderedImages, rows, {
      conflictTarget: ['recordId', 'styleId'],
      update: ['path', 'sha256', 'widthPx', 'heightPx', 'dpi', 'sidecar'],
      chunkSize: options.chunkSize,
    });
    return written.length;
  }

  async getImage(recordId: number, styleId: number): Promise<RenderedImage | undefined> {
    const [row] = await this.db
      .select()
      .from(renderedImages)
      .where(and(eq(renderedImages.recordId, recordId), eq(renderedImages.styleId, styleId)));
    return row;
  }

  /** Images of a style for these records (batch lookup for training and DataLoaders). */
  async imagesForRecords(styleId: number, recordIds: readonly number[]): Promise<RenderedImage[]> {
    if (recordIds.length === 0) return [];
    return this.db
      .select()
      .from(renderedImages)
      .where(and(eq(renderedImages.styleId, styleId), inArray(renderedImages.recordId, [...recordIds])));
  }

  async listImages(styleId: number, options: { afterId?: number | null; limit?: number } = {}): Promise<Page<RenderedImage>> {
    const limit = clampLimit(options.limit);
    const rows = await this.db
      .select()
      .from(renderedImages)
      .where(and(eq(renderedImages.styleId, styleId), options.afterId != null ? gt(renderedImages.id, options.afterId) : undefined))
      .orderBy(asc(renderedImages.id))
      .limit(limit + 1);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }
}
