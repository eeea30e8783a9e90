import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { DatasetStore, NotFoundError, RecordStore, RenderStore, type LeadwiseDatabase, type NewRenderedImage, type RecordRow } from '@leadwise/db';
import { resolveRenderOptions, type RenderOptions, type ResolvedRenderOptions } from '@leadwise/render';
import { RenderPool } from './render-pool.ts';
import type { RenderTask } from './render-task.ts';

export interface RenderDatasetInput {
  /** Dataset name (as imported) or id. */
  dataset: string | number;
  options: RenderOptions;
  /** Style name stored with the images; defaults to `renderStyleName(options)`. */
  styleName?: string;
  outDir: string;
  /** Render at most this many records (in id order). */
  limit?: number;
  /** Worker threads; defaults to every core the machine offers. */
  workers?: number;
  onProgress?: (done: number, total: number, failed: number) => void;
}

export interface RenderDatasetResult {
  datasetId: number;
  styleId: number;
  styleName: string;
  outDir: string;
  rendered: number;
  failed: { externalId: string; error: string }[];
  workers: number;
  elapsedS: number;
  pagesPerS: number;
}

/** `red-standard-200dpi-25mms-10mmmv`: readable, and distinct for the options people vary. */
export function renderStyleName(options: RenderOptions): string {
  const o = resolveRenderOptions(options);
  return `${o.gridStyle}-${o.layout}-${o.dpi}dpi-${o.paperSpeedMmPerS}mms-${o.gainMmPerMv}mmmv-${o.paper}`;
}

/** sha256 of the resolved options with sorted keys: the same look is always the same style row. */
export function renderStyleHash(options: ResolvedRenderOptions): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(options).sort(([a], [b]) => a.localeCompare(b))));
  return createHash('sha256').update(canonical).digest('hex');
}

const FILE_NAME_UNSAFE = /[^A-Za-z0-9._-]/g;
const DB_BATCH = 50;

/**
 * Renders every record of an imported dataset to PNG + sidecar in `outDir` with a pool of worker
 * threads, and records each image (style, path, sha256, size, sidecar) in the database. A record
 * that fails to render is reported in `failed` and does not stop the others.
 */
export async function renderDataset(db: LeadwiseDatabase, input: RenderDatasetInput): Promise<RenderDatasetResult> {
  const startMs = Date.now();
  const datasets = new DatasetStore(db);
  const dataset = typeof input.dataset === 'number' ? await datasets.getById(input.dataset) : await datasets.getByName(input.dataset);
  if (!dataset) throw new NotFoundError('dataset', String(input.dataset));
  const options = resolveRenderOptions(input.options);
  const renders = new RenderStore(db);
  const styleName = input.styleName ?? renderStyleName(options);
  const style = await renders.upsertStyle({ name: styleName, params: { ...options }, hash: renderStyleHash(options) });

  const rows = await listRecords(new RecordStore(db), dataset.id, input.limit);
  const outDir = resolve(input.outDir);
  const workers = Math.max(1, Math.min(input.workers ?? availableParallelism(), rows.length || 1));
  const pool = new RenderPool(workers);
  const failed: RenderDatasetResult['failed'] = [];
  const batch: NewRenderedImage[] = [];
  let done = 0;
  let rendered = 0;
  input.onProgress?.(0, rows.length, 0);
  const flush = async () => {
    const part = batch.splice(0, batch.length);
    if (part.length > 0) await renders.upsertImages(part);
  };
  try {
    let writes = Promise.resolve();
    await Promise.all(
      rows.map(async (row, taskId) => {
        const task: RenderTask = {
          taskId,
          headerLocation: row.signalPath,
          pngPath: join(outDir, `${row.externalId.replace(FILE_NAME_UNSAFE, '_')}.png`),
          options,
          ageYears: row.ageYears,
          sex: row.sex,
        };
        const result = await pool.run(task);
        done++;
        if (result.ok) {
          rendered++;
          batch.push({
            recordId: row.id,
            styleId: style.id,
            path: task.pngPath,
            sha256: result.sha256,
            widthPx: result.widthPx,
            heightPx: result.heightPx,
            dpi: options.dpi,
            sidecar: result.sidecar as unknown as Record<string, unknown>,
          });
          // Writes are chained so batches reach the database one at a time, in order.
          if (batch.length >= DB_BATCH) writes = writes.then(flush);
        } else {
          failed.push({ externalId: row.externalId, error: result.error });
        }
        input.onProgress?.(done, rows.length, failed.length);
      }),
    );
    await writes;
    await flush();
  } finally {
    await pool.close();
  }
  const elapsedS = (Date.now() - startMs) / 1000;
  return {
    datasetId: dataset.id,
    styleId: style.id,
    styleName,
    outDir,
    rendered,
    failed,
    workers,
    elapsedS,
    pagesPerS: rendered / Math.max(elapsedS, 1e-9),
  };
}

async function listRecords(store: RecordStore, datasetId: number, limit: number | undefined): Promise<RecordRow[]> {
  const rows: RecordRow[] = [];
  let afterId: number | null = null;
  while (limit === undefined || rows.length < limit) {
    const page = await store.list({ datasetId }, { afterId, limit: 1000 });
    rows.push(...page.items);
    if (page.nextCursor === null) break;
    afterId = page.nextCursor;
  }
  return limit === undefined ? rows : rows.slice(0, limit);
}
