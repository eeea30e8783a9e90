import type http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * The built web app (apps/web/dist) at `/`: files under `assets/` by path, every other GET that is
 * not a GraphQL request gets `index.html` (the app routes in the browser). Answers false when the
 * request is not for the app, so GraphQL and other routes see it.
 */
export async function serveWebApp(root: string, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  // GraphQL over GET (`?query=`) and the endpoint's own path stay with Apollo.
  if (url.searchParams.has('query') || url.pathname === '/graphql') return false;
  const assetPath = url.pathname.startsWith('/assets/') ? normalize(join(root, decodeURIComponent(url.pathname))) : null;
  if (assetPath !== null && !assetPath.startsWith(root + sep)) return false;
  const file = assetPath ?? join(root, 'index.html');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    if (assetPath !== null) {
      res.statusCode = 404;
      res.end();
      return true;
    }
    return false;
  }
  res.statusCode = 200;
  res.setHeader('content-type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
  // Asset names carry a content hash (Vite); index.html must be fetched again after a rebuild.
  res.setHeader('cache-control', assetPath ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('content-security-policy', "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; connect-src 'self'");
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
