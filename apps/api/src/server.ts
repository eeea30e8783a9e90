import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { errorMessageWithoutParams, isQueryError } from '@leadwise/db';
import { GraphQLError } from 'graphql';
import type { JobQueue } from '@leadwise/study';
import { authConfigFromEnv, isValidApiKey, presentedApiKey, type AuthConfig } from './auth.ts';
import { createContext, type ApiContext } from './context.ts';
import type { Db } from './db.ts';
import { createErrorFormatter } from './errors.ts';
import {
  DEFAULT_QUERY_LIMITS,
  aliasLimitPlugin,
  complexityLimitPlugin,
  depthLimitRule,
  executionBudgetPlugin,
  noSubscriptionsRule,
  nulInputPlugin,
  type QueryLimits,
} from './limits.ts';
import { listenHttp } from './http-server.ts';
import { ResponseCache, responseCachePlugin, type WatchDataChanges } from './response-cache.ts';
import { serveRecordPage } from './record-pages/record-page.route.ts';
import { serveWebApp } from './web/web-app.route.ts';
import { buildLeadwiseSchema } from './schema.ts';

export interface ApiServerOptions {
  db: Db;
  queue: JobQueue | null;
  auth?: AuthConfig;
  limits?: Partial<QueryLimits>;
  /** Where unexpected errors are logged (with the id the client sees); default stderr. */
  logError?: (entry: unknown) => void;
  /**
   * How to hear committed data changes (`DatabaseHandle.watchDataChanges`). Given, query answers
   * are cached until the data changes; absent, every query runs.
   */
  watchDataChanges?: WatchDataChanges;
  /** The cache those answers go to (default: a new one holding up to 64 MiB of answers). */
  responseCache?: ResponseCache;
}

/** Apollo server over the Leadwise schema with auth, limits and error masking; not yet listening. */
export async function createApiServer(options: ApiServerOptions) {
  const schema = await buildLeadwiseSchema();
  const auth = options.auth ?? authConfigFromEnv();
  const limits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
  const logError = options.logError ?? ((entry) => process.stderr.write(`${formatLogEntry(entry)}\n`));
  const server = new ApolloServer<ApiContext>({
    schema,
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [depthLimitRule(limits.maxDepth), noSubscriptionsRule],
    formatError: createErrorFormatter(logError),
    includeStacktraceInErrorResponses: false,
    introspection: true,
    plugins: [
      nulInputPlugin(),
      aliasLimitPlugin(limits.maxAliases),
      complexityLimitPlugin(schema, limits.maxComplexity),
      executionBudgetPlugin(limits.maxExecutionMs),
      ...(options.watchDataChanges ? [responseCachePlugin(options.responseCache ?? new ResponseCache(), options.watchDataChanges)] : []),
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ operation, contextValue }) {
              const needsKey = operation?.operation === 'mutation' || auth.queriesRequireKey;
              if (needsKey && !contextValue.auth.hasValidKey) {
                throw new GraphQLError(
                  auth.apiKey
                    ? 'this operation needs the API key (send `Authorization: Bearer <key>`)'
                    : 'this operation needs an API key, and the server has none configured (set LEADWISE_API_KEY)',
                  { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } },
                );
              }
            },
          };
        },
      },
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching hints are used; without the plugin Apollo stops wrapping every field resolver
      // (measured: about a tenth of a 100-prediction page's CPU time).
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  return { server, auth };
}

export interface RunningApi {
  url: string;
  stop(): Promise<void>;
}

export interface ListenOptions {
  /** Port to listen on (0 = any free port). */
  port: number;
  /** Interface (default 127.0.0.1: this machine only). */
  host?: string;
  /** Browser origins allowed to read answers (CORS); default none. */
  corsOrigins?: readonly string[];
  /** Folder of the built web app (apps/web/dist), served at `/`; none = API only. */
  webRoot?: string;
}

/** Largest request body: the token limit refuses long documents anyway, and variables are small. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Starts the API on a port (0 = any free port) and returns its URL. */
export async function startApiServer(options: ApiServerOptions & ListenOptions): Promise<RunningApi> {
  const { server, auth } = await createApiServer(options);
  const url = await listenHttp<ApiContext>(server, {
    port: options.port,
    host: options.host ?? '127.0.0.1',
    corsOrigins: options.corsOrigins ?? [],
    maxBodyBytes: MAX_BODY_BYTES,
    routes: [
      (req, res, url) => serveRecordPage(options.db, req, res, url, !auth.queriesRequireKey || isValidApiKey(presentedApiKey({ get: (name) => headerValue(req.headers[name]) }), auth.apiKey)),
      ...(options.webRoot ? [(req: http.IncomingMessage, res: http.ServerResponse, url: URL) => serveWebApp(options.webRoot!, req, res, url)] : []),
    ],
    context: async (req) =>
      createContext(
        options.db,
        {
          hasValidKey: isValidApiKey(
            presentedApiKey({ get: (name) => headerValue(req.headers[name]) }),
            auth.apiKey,
          ),
        },
        options.queue,
      ),
  });
  return { url, stop: () => server.stop() };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * One log entry as text that cannot forge other entries: SQL parameters (client input, patient
 * data) are left out, control characters are escaped, and every line carries the entry's prefix.
 */
export function formatLogEntry(entry: unknown, prefix = 'leadwise api: '): string {
  let text: string;
  if (entry && typeof entry === 'object' && 'errorId' in entry && 'error' in entry) {
    const { errorId, error } = entry as { errorId: string; error: unknown };
    text = `error ${errorId}: ${describeError(error)}`;
  } else {
    text = String(entry);
  }
  // Control characters except tab and newline (lines are split and prefixed below) become \uXXXX.
  const escaped = text.replace(/\p{Cc}/gu, (c) => (c === '\n' || c === '\t' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return escaped
    .split('\n')
    .map((line, i) => `${prefix}${i === 0 ? '' : '| '}${line}`)
    .join('\n');
}

function describeError(error: unknown): string {
  if (isQueryError(error)) return `${errorMessageWithoutParams(error)}\n${stackFrames(error)}`;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function stackFrames(error: Error): string {
  return (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}
