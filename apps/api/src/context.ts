import type { Db } from './db.ts';
import type { RequestAuth } from './auth.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import type { JobQueue } from '@leadwise/study';

/** Everything a resolver may use, built fresh for every request. */
export interface ApiContext {
  db: Db;
  loaders: Loaders;
  auth: RequestAuth;
  /** Where launched runs are enqueued; null when the API runs without a queue (read-only deployments). */
  queue: JobQueue | null;
}

export function createContext(db: Db, auth: RequestAuth, queue: JobQueue | null): ApiContext {
  return { db, loaders: createLoaders(db), auth, queue };
}
