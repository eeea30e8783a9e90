import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';

export interface HttpServerOptions<TContext extends BaseContext> {
  port: number;
  host: string;
  /**
   * Browser origins allowed to read answers (CORS), e.g. `https://lab.example.org`. Empty (the
   * default): no CORS headers at all, so no web page a researcher has open can read the API.
   */
  corsOrigins: readonly string[];
  /** Largest request body in bytes; a GraphQL document beyond the token limit is refused anyway. */
  maxBodyBytes: number;
  context: (req: http.IncomingMessage) => Promise<TContext>;
  /** Routes tried before GraphQL (page images, the web app); each answers true when it responded. */
  routes?: readonly ((req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<boolean>)[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const CORS_ALLOWED_HEADERS = 'content-type, authorization, x-api-key, apollo-require-preflight';

/**
 * Apollo's standalone server, less its `Access-Control-Allow-Origin: *` and its 50 MB bodies: CORS
 * only for the origins named, and a small body limit. Returns the URL it listens on.
 */
export async function listenHttp<TContext extends BaseContext>(server: ApolloServer<TContext>, options: HttpServerOptions<TContext>): Promise<string> {
  const allowed = new Set(options.corsOrigins);
  const httpServer = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      if (origin && allowed.has(origin)) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
        res.setHeader('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
        res.setHeader('Access-Control-Max-Age', '600');
      }
      res.statusCode = 204;
      res.end();
      return;
    }
    void handle(req, res).catch((error: unknown) => {
      res.statusCode = error instanceof HttpError ? error.status : 500;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ errors: [{ message: error instanceof HttpError ? error.message : 'Internal server error', extensions: { code: 'BAD_REQUEST' } }] }));
    });
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    for (const route of options.routes ?? []) if (await route(req, res, url)) return;
    const body = req.method === 'POST' ? await readJsonBody(req, options.maxBodyBytes) : undefined;
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
      context: () => options.context(req),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };

  server.addPlugin(ApolloServerPluginDrainHttpServer({ httpServer }));
  await server.start();
  await new Promise<void>((resolve) => httpServer.listen({ port: options.port, host: options.host }, resolve));
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host === '0.0.0.0' || host === '[::]' ? 'localhost' : host}:${address.port}/`;
}

async function readJsonBody(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new HttpError(413, `request body over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  // Apollo's CSRF prevention refuses other content types; hand it the raw text to say so.
  if (type !== 'application/json') return text;
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}
