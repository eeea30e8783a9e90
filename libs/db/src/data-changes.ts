import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** The channel migration 0003 notifies on, after every commit that changed a table; the payload is the table. */
export const DATA_CHANGED_CHANNEL = 'leadwise_data_changed';

/**
 * Hears committed changes: the table that changed, or `null` when the watch (re)started or was
 * interrupted, so that changes may have been missed and nothing read before may be trusted.
 */
export type DataChangeListener = (table: string | null) => void;

export interface DataChangeWatch {
  /** True while every committed change is heard; while false, a change may go unheard. */
  readonly live: boolean;
  stop(): Promise<void>;
}

/** How long a lost PostgreSQL watch waits before connecting again. */
const RECONNECT_MS = 1_000;

/**
 * Watches PostgreSQL on a connection of its own (LISTEN holds it), reconnecting when it is lost;
 * resolves once listening.
 */
export async function watchPostgresDataChanges(databaseUrl: string, listener: DataChangeListener): Promise<DataChangeWatch> {
  let client: pg.Client | null = null;
  let stopped = false;
  let reconnect: NodeJS.Timeout | null = null;

  const lost = (which: pg.Client) => {
    if (client !== which) return;
    client = null;
    listener(null);
    which.end().catch(() => undefined);
    if (!stopped) scheduleReconnect();
  };
  const connect = async () => {
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on('notification', (message) => {
      if (message.channel === DATA_CHANGED_CHANNEL) listener(message.payload ?? null);
    });
    next.on('error', () => lost(next));
    next.on('end', () => lost(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${DATA_CHANGED_CHANNEL}`);
    } catch (error) {
      next.removeAllListeners('end');
      await next.end().catch(() => undefined);
      throw error;
    }
    if (stopped) {
      await next.end();
      return;
    }
    client = next;
    // Whatever committed while nobody listened went unheard.
    listener(null);
  };
  const scheduleReconnect = () => {
    reconnect = setTimeout(() => {
      reconnect = null;
      connect().catch(() => {
        if (!stopped) scheduleReconnect();
      });
    }, RECONNECT_MS);
    reconnect.unref();
  };

  await connect();
  return {
    get live() {
      return client !== null;
    },
    async stop() {
      stopped = true;
      if (reconnect) clearTimeout(reconnect);
      const last = client;
      client = null;
      if (last) {
        last.removeAllListeners('end');
        await last.end();
      }
    },
  };
}

/** Watches an embedded PGlite (same process, so the watch cannot be lost). */
export async function watchPgliteDataChanges(client: PGlite, listener: DataChangeListener): Promise<DataChangeWatch> {
  const unlisten = await client.listen(DATA_CHANGED_CHANNEL, (payload) => listener(payload || null));
  let live = true;
  return {
    get live() {
      return live;
    },
    async stop() {
      live = false;
      if (!client.closed) await unlisten();
    },
  };
}
