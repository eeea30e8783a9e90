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
import { chunk, clampLimit, excludedColumns, type Page } from './store-kit.ts';

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
    if (rows.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      let written = 0;
      for (const part of chunk(rows, options.chunkSize ?? 1000)) {
        const returned = await tx
          .insert(renderedImages)
          .values(part)
          .onConflictDoUpdate({
            target: [renderedImages.recordId, renderedImages.styleId],
            set: excludedColumns(renderedImages, ['path', 'sha256', 'widthPx', 'heightPx', 'dpi', 'sidecar']),
          })
          .returning({ id: renderedImages.id });
        written += returned.length;
      }
      return written;
    });
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
