import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walks up from `start` to the directory holding `nx.json` (the Leadwise repository root), or null. */
export function findRepoRoot(start: string = process.cwd()): string | null {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The directory with the real ECG data (see its README): `ECG_DATA_DIR` when set, else
 * `<repo root>/../shared/data`. Throws a clear error when neither exists.
 */
export function resolveEcgDataDir(
  env: NodeJS.ProcessEnv = process.env,
  // The current directory first (the CLI runs from the repo), then this file's own checkout.
  searchFrom: readonly string[] = [process.cwd(), dirname(fileURLToPath(import.meta.url))],
): string {
  if (env.ECG_DATA_DIR) {
    const dir = resolve(env.ECG_DATA_DIR);
    if (!isDirectory(dir)) throw new Error(`ECG_DATA_DIR=${env.ECG_DATA_DIR} is not a directory`);
    return dir;
  }
  const roots = searchFrom.map((start) => findRepoRoot(start));
  for (const root of roots) {
    if (root && isDirectory(join(root, '..', 'shared', 'data'))) return resolve(root, '..', 'shared', 'data');
  }
  throw new Error(
    'ECG data directory not found: set ECG_DATA_DIR to the folder holding ptbxl/ and chapman-shaoxing-subset-400.tar.xz, ' +
      `or place it at <repo root>/../shared/data (repo root searched from ${searchFrom.join(', ')})`,
  );
}

/**
 * Where extracted archives are cached: `$LEADWISE_HOME/cache`. As in @leadwise/db, a relative
 * LEADWISE_HOME is taken from the current directory and the default is `<repo root>/.leadwise`.
 */
export function resolveCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.LEADWISE_HOME?.trim();
  if (configured) return resolve(configured, 'cache');
  const root = findRepoRoot(dirname(fileURLToPath(import.meta.url))) ?? process.cwd();
  return join(root, '.leadwise', 'cache');
}
