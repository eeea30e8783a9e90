import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RenderStore, resolveLeadwiseHome, type LeadwiseDatabase, type RecordRow } from '@leadwise/db';
import { PAGE_GRID_STYLES, resolveRenderOptions, type PageSidecar, type PageStyle, type RenderOptions } from '@leadwise/render';
import { renderRecordFile } from './render-record-files.ts';
import { renderStyleHash, renderStyleName } from './render-dataset.ts';

/** How a page is shown to a person: on red ECG paper, or grid-free as the LLM arm also sees it. */
export type RecordPageStyle = PageStyle;

/** A screen page: the standard printout at 100 dpi (about 1100 px wide), header included. */
export function recordPageOptions(style: RecordPageStyle): RenderOptions {
  return { gridStyle: PAGE_GRID_STYLES[style], dpi: 100 };
}

export interface RecordPage {
  png: Buffer;
  sidecar: PageSidecar;
}

// Two requests for the same page (the image and its lead boxes arrive together) render it once.
const inFlight = new Map<string, Promise<RecordPage>>();

/**
 * The rendered page of one record, from the render store when it was drawn before (any process,
 * any earlier run), else rendered now, written under `$LEADWISE_HOME/pages/` and recorded there.
 */
export function recordPage(db: LeadwiseDatabase, record: RecordRow, style: RecordPageStyle): Promise<RecordPage> {
  const key = `${record.id}:${style}`;
  let page = inFlight.get(key);
  if (!page) {
    page = loadOrRender(db, record, style).finally(() => inFlight.delete(key));
    inFlight.set(key, page);
  }
  return page;
}

async function loadOrRender(db: LeadwiseDatabase, record: RecordRow, style: RecordPageStyle): Promise<RecordPage> {
  const options = resolveRenderOptions(recordPageOptions(style));
  const hash = renderStyleHash(options);
  const renders = new RenderStore(db);
  const renderStyle = await renders.upsertStyle({ name: renderStyleName(options), params: { ...options }, hash });
  const stored = await renders.getImage(record.id, renderStyle.id);
  if (stored) {
    const png = await readFile(stored.path).catch(() => null);
    if (png) return { png, sidecar: stored.sidecar as unknown as PageSidecar };
  }
  const pngPath = join(resolveLeadwiseHome(), 'pages', hash.slice(0, 16), `${record.datasetId}-${record.id}.png`);
  const files = await renderRecordFile(record.signalPath, pngPath, options, { ageYears: record.ageYears ?? undefined, sex: record.sex ?? undefined });
  await renders.upsertImages([
    {
      recordId: record.id,
      styleId: renderStyle.id,
      path: files.pngPath,
      sha256: files.sha256,
      widthPx: files.sidecar.widthPx,
      heightPx: files.sidecar.heightPx,
      dpi: options.dpi,
      sidecar: files.sidecar as unknown as Record<string, unknown>,
    },
  ]);
  return { png: await readFile(files.pngPath), sidecar: files.sidecar };
}
