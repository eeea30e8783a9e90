import { createHash, timingSafeEqual } from 'node:crypto';

/** What the API knows about the caller of one request. */
export interface RequestAuth {
  /** True when the request carried the configured API key. */
  hasValidKey: boolean;
}

/**
 * API key policy, read once from the environment.
 * - `LEADWISE_API_KEY`: the key mutations require (sent as `Authorization: Bearer <key>` or `x-api-key`).
 *   Unset means mutations are refused outright: a service must never become writable by accident.
 * - `LEADWISE_API_QUERIES_REQUIRE_KEY=true`: queries need the key as well (default: queries are open).
 */
export interface AuthConfig {
  apiKey: string | undefined;
  queriesRequireKey: boolean;
}

export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const apiKey = env.LEADWISE_API_KEY?.trim() || undefined;
  const flag = (env.LEADWISE_API_QUERIES_REQUIRE_KEY ?? '').trim().toLowerCase();
  return { apiKey, queriesRequireKey: flag === 'true' || flag === '1' || flag === 'yes' };
}

/**
 * Compares a presented key with the configured one in constant time. Both are hashed first so the
 * comparison always runs over 32 bytes: `timingSafeEqual` needs equal lengths, and comparing the raw
 * strings' lengths would leak the key's length.
 */
export function isValidApiKey(presented: string | undefined, configured: string | undefined): boolean {
  if (!configured || presented === undefined) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(configured, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Extracts the key from `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedApiKey(headers: { get(name: string): string | undefined }): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1]!.trim();
  }
  return headers.get('x-api-key')?.trim() || undefined;
}
