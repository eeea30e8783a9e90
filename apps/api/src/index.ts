export { buildLeadwiseSchema, printLeadwiseSchema } from './schema.ts';
export { createApiServer, startApiServer, type ApiServerOptions, type RunningApi } from './server.ts';
export { authConfigFromEnv, isValidApiKey, type AuthConfig } from './auth.ts';
export { DEFAULT_QUERY_LIMITS, type QueryLimits } from './limits.ts';
export { createContext, type ApiContext } from './context.ts';
