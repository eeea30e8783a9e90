import { doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, refColumn } from './columns.ts';
import { records } from './datasets.ts';

export const renderStyles = pgTable(
  'render_styles',
  {
    id: idColumn(),
    /** Human name, e.g. `grid-red-200dpi`; not unique, the hash is the identity. */
    name: text('name').notNull(),
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    /** sha256 of the canonical params: the same parameters always map to one style row. */
    hash: text('hash').notNull(),
    createdAt: createdAtColumn(),
  },
  (t) => [uniqueIndex('render_styles_hash_key').on(t.hash)],
);

export const renderedImages = pgTable(
  'rendered_images',
  {
    id: idColumn(),
    recordId: refColumn('record_id')
      .notNull()
      .references(() => records.id, { onDelete: 'cascade' }),
    styleId: refColumn('style_id')
      .notNull()
      .references(() => renderStyles.id, { onDelete: 'cascade' }),
    /** Image file location (under LEADWISE_HOME or an artifact store). */
    path: text('path').notNull(),
    sha256: text('sha256').notNull(),
    widthPx: integer('width_px').notNull(),
    heightPx: integer('height_px').notNull(),
    dpi: doublePrecision('dpi').notNull(),
    /** Render sidecar: lead bounding boxes, px per 0.2 s / 0.5 mV, distortions applied. */
    sidecar: jsonb('sidecar').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAtColumn(),
  },
  (t) => [
    // One image per record and style: re-rendering replaces, and "image of record R in style S" is a point lookup.
    uniqueIndex('rendered_images_record_style_key').on(t.recordId, t.styleId),
    // "All images of a style", paged by id, for training/evaluation batches.
    index('rendered_images_style_id_idx').on(t.styleId, t.id),
  ],
);

export type RenderStyle = typeof renderStyles.$inferSelect;
export type NewRenderStyle = typeof renderStyles.$inferInsert;
export type RenderedImage = typeof renderedImages.$inferSelect;
export type NewRenderedImage = typeof renderedImages.$inferInsert;
