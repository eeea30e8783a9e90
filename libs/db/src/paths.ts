import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file's location (libs/db/src) so it does not depend on cwd. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Generated SQL migrations, committed at the repository root. */
export const MIGRATIONS_FOLDER = resolve(REPO_ROOT, 'migrations');

/**
 * Leadwise's working directory for embedded data (PGlite, caches): `LEADWISE_HOME` when set
 * (relative values are taken from the current directory), else `.leadwise` at the repository root.
 */
export function resolveLeadwiseHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.LEADWISE_HOME?.trim();
  if (configured) return isAbsolute(configured) ? configured : resolve(process.cwd(), configured);
  return resolve(REPO_ROOT, '.leadwise');
}

/** A connection string with its password replaced, safe for logs and `db status`. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    // Not a URL (e.g. a libpq keyword string): show nothing rather than risk a password.
    return '<unparseable connection string>';
  }
}
