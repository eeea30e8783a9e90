import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { RenderStore, resolveLeadwiseHome, type LeadwiseDatabase, type NewRenderedImage, type RecordRow } from '@leadwise/db';
import { readWfdbRecord } from '@leadwise/ecg';
import { sha256Hex, type LlmImage } from '@leadwise/llm';
import { PAGE_GRID_STYLES, renderPage, resolveRenderOptions, type PageStyle, type RenderOptions } from '@leadwise/render';
import { renderStyleHash, renderStyleName } from '../render/render-dataset.ts';
import { RenderPool } from '../render/render-pool.ts';

export type LlmImageStyle = PageStyle;

/**
 * Render options of the pages the LLMs see: the standard printout in red grid or grid-free, at the
 * chosen DPI. The header is off so the page carries no record id, age or sex for the model to use.
 */
export function llmRenderOptions(style: LlmImageStyle, dpi: number): RenderOptions {
  return { gridStyle: PAGE_GRID_STYLES[style], dpi, showHeader: false };
}

/** Reads a record from its stored header location and renders the page sent to the model (in this thread). */
export async function renderLlmPage(signalPath: string, options: RenderOptions): Promise<LlmImage> {
  const recording = await readWfdbRecord(signalPath);
  const { png, sidecar } = renderPage(recording, options);
  const bytes = new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  return { bytes, mimeType: 'image/png', sha256: sha256Hex(bytes), widthPx: sidecar.widthPx, heightPx: sidecar.heightPx, dpi: sidecar.dpi };
}

async function readVerified(path: string, sha256: string): Promise<Uint8Array | null> {
  try {
    const bytes = new Uint8Array(await readFile(path));
    return sha256Hex(bytes) === sha256 ? bytes : null;
  } catch {
    return null;
  }
}

export interface PreparePagesOptions {
  /** Where newly rendered pages are written; default `$LEADWISE_HOME/pages/<style hash>`. */
  outDir?: string;
  /** Render worker threads; default every core. */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The page of every record in one render style, as sent to the model. Pages already in the render
 * store (from `leadwise render` or an earlier LLM run) are read back and checked against their
 * stored SHA-256; the rest are rendered on worker threads, written to disk and recorded in the
 * render store, so a re-run renders nothing.
 */
export async function prepareLlmPages(db: LeadwiseDatabase, rows: readonly RecordRow[], options: RenderOptions, prepare: PreparePagesOptions = {}): Promise<Map<number, LlmImage>> {
  const resolved = resolveRenderOptions(options);
  const hash = renderStyleHash(resolved);
  const renders = new RenderStore(db);
  const style = await renders.upsertStyle({ name: `${renderStyleName(resolved)}${resolved.showHeader ? '' : '-noheader'}`, params: { ...resolved }, hash });
  const pages = new Map<number, LlmImage>();
  const stored = await renders.imagesForRecords(style.id, rows.map((r) => r.id));
  for (const image of stored) {
    const bytes = await readVerified(image.path, image.sha256);
    if (bytes) pages.set(image.recordId, { bytes, mimeType: 'image/png', sha256: image.sha256, widthPx: image.widthPx, heightPx: image.heightPx, dpi: image.dpi });
  }
  const missing = rows.filter((row) => !pages.has(row.id));
  let done = rows.length - missing.length;
  prepare.onProgress?.(done, rows.length);
  if (missing.length === 0) return pages;

  const outDir = prepare.outDir ?? join(resolveLeadwiseHome(), 'pages', hash.slice(0, 16));
  const pool = new RenderPool(Math.max(1, Math.min(prepare.workers ?? availableParallelism(), missing.length)));
  const written: NewRenderedImage[] = [];
  try {
    await Promise.all(
      missing.map(async (row, taskId) => {
        const pngPath = join(outDir, `${row.datasetId}-${row.id}.png`);
        const result = await pool.run({ taskId, headerLocation: row.signalPath, pngPath, options: resolved, ageYears: row.ageYears, sex: row.sex });
        if (!result.ok) throw new Error(`rendering ${row.externalId} for the LLM arm failed: ${result.error}`);
        const bytes = await readVerified(pngPath, result.sha256);
        if (!bytes) throw new Error(`page ${pngPath} does not match the hash its renderer reported`);
        pages.set(row.id, { bytes, mimeType: 'image/png', sha256: result.sha256, widthPx: result.widthPx, heightPx: result.heightPx, dpi: resolved.dpi });
        written.push({ recordId: row.id, styleId: style.id, path: pngPath, sha256: result.sha256, widthPx: result.widthPx, heightPx: result.heightPx, dpi: resolved.dpi, sidecar: result.sidecar as unknown as Record<string, unknown> });
        prepare.onProgress?.(++done, rows.length);
      }),
    );
  } finally {
    await pool.close();
    await renders.upsertImages(written);
  }
  return pages;
}
