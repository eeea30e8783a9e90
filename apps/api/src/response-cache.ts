import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import type { DataChangeListener, DataChangeWatch } from '@leadwise/db';

/** Starts hearing committed data changes (`DatabaseHandle.watchDataChanges`). */
export type WatchDataChanges = (listener: DataChangeListener) => Promise<DataChangeWatch>;

type QueryResult = Extract<GraphQLResponse['body'], { kind: 'single' }>['singleResult'];

/**
 * Answers of queries, kept until the data changes. Every answer is a function of the document, its
 * variables and the database, so it stays right until a commit changes a table; the database
 * notifies every API process of each commit (migration 0003), and a notification (or the watch
 * being lost) empties the cache. An answer computed while a change arrived is not kept: its
 * generation is older than the cache's by then.
 */
export class ResponseCache {
  private readonly answers = new Map<string, { answer: QueryResult; sizeBytes: number }>();
  private currentGeneration = 0;
  private heldBytes = 0;

  /**
   * @param maxBytes the most answer text held (as JSON characters); the least recently used answers
   * go first. The default holds, e.g., some 400 answers of a record's 500 scores.
   */
  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get generation(): number {
    return this.currentGeneration;
  }

  get size(): number {
    return this.answers.size;
  }

  get sizeBytes(): number {
    return this.heldBytes;
  }

  /** Forgets every answer; answers computed before this call will not be kept either. */
  invalidate(): void {
    this.currentGeneration += 1;
    this.answers.clear();
    this.heldBytes = 0;
  }

  get(key: string): QueryResult | undefined {
    const entry = this.answers.get(key);
    if (!entry) return undefined;
    // Most recently used last: the first entries are the ones to drop when full.
    this.answers.delete(key);
    this.answers.set(key, entry);
    return entry.answer;
  }

  /** Keeps `answer` unless the data changed since `generation`, when it was computed. */
  set(key: string, answer: QueryResult, generation: number): void {
    if (generation !== this.currentGeneration) return;
    const sizeBytes = key.length + JSON.stringify(answer).length;
    if (sizeBytes > this.maxBytes) return;
    const previous = this.answers.get(key);
    if (previous) {
      this.answers.delete(key);
      this.heldBytes -= previous.sizeBytes;
    }
    for (const [oldKey, old] of this.answers) {
      if (this.heldBytes + sizeBytes <= this.maxBytes) break;
      this.answers.delete(oldKey);
      this.heldBytes -= old.sizeBytes;
    }
    this.answers.set(key, { answer, sizeBytes });
    this.heldBytes += sizeBytes;
  }
}

/**
 * Serves repeated queries from `cache` while `watch` hears every change; mutations of this process
 * empty it at once (their own notification may still be on its way when the client asks again).
 * Refusals (auth, limits) happen before the cache is consulted, so a cached answer is never a way
 * around them. Answers with errors are not kept.
 */
export function responseCachePlugin(cache: ResponseCache, watchDataChanges: WatchDataChanges): ApolloServerPlugin {
  let watch: DataChangeWatch | null = null;
  return {
    async serverWillStart() {
      watch = await watchDataChanges(() => cache.invalidate());
      return {
        async serverWillStop() {
          await watch?.stop();
          cache.invalidate();
        },
      };
    },
    async requestDidStart() {
      const generation = cache.generation;
      let key: string | null = null;
      let served = false;
      return {
        async responseForOperation({ operation, request, queryHash }) {
          if (operation.operation !== 'query' || !watch?.live) return null;
          key = JSON.stringify([queryHash, request.operationName ?? null, request.variables ?? {}]);
          const answer = cache.get(key);
          if (!answer) return null;
          served = true;
          return { http: { headers: new HeaderMap() }, body: { kind: 'single', singleResult: answer } };
        },
        async willSendResponse({ operation, response }) {
          if (operation?.operation === 'mutation') {
            cache.invalidate();
            return;
          }
          if (served || key === null || response.body.kind !== 'single' || response.body.singleResult.errors) return;
          cache.set(key, response.body.singleResult, generation);
        },
      };
    },
  };
}
