import type http from 'node:http';
import { recordPage, type RecordPageStyle } from '@leadwise/study';
import type { Db } from '../db.ts';
import { createLoaders } from '../loaders.ts';

const PAGE_PATH = /^\/records\/(\d{1,9})\/page\.png$/;

/**
 * `GET /records/:id/page.png?style=grid|none`: the PNG behind `recordPage.imageUrl`, rendered on
 * first request and then read from the render store. Answers false for any other path.
 */
export async function serveRecordPage(db: Db, req: http.IncomingMessage, res: http.ServerResponse, url: URL, mayRead: boolean): Promise<boolean> {
  const match = PAGE_PATH.exec(url.pathname);
  if (!match || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  if (!mayRead) return sendText(res, 401, 'this server needs the API key for queries (send `Authorization: Bearer <key>`)');
  const style = url.searchParams.get('style') ?? 'grid';
  if (style !== 'grid' && style !== 'none') return sendText(res, 400, 'style must be grid or none');
  const record = await createLoaders(db).record.load(Number(match[1]));
  if (!record) return sendText(res, 404, `record ${match[1]} does not exist`);
  let png: Buffer;
  try {
    png = (await recordPage(db, record, style as RecordPageStyle)).png;
  } catch {
    return sendText(res, 404, `the signal file of record ${record.id} cannot be read on this server`);
  }
  res.statusCode = 200;
  res.setHeader('content-type', 'image/png');
  res.setHeader('content-length', png.length);
  // A record's signal never changes under the same id, so its page is the same page for a day.
  res.setHeader('cache-control', 'private, max-age=86400');
  res.end(req.method === 'HEAD' ? undefined : png);
  return true;
}

function sendText(res: http.ServerResponse, status: number, message: string): true {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(`${message}\n`);
  return true;
}
