import { describe, expect, it } from 'vitest';
import { ResponseCache } from './response-cache.ts';

const answer = (text: string) => ({ data: { text } });
/** What the cache counts for an entry: its key and its answer as JSON. */
const sizeOf = (key: string, text: string) => key.length + JSON.stringify(answer(text)).length;

describe('ResponseCache', () => {
  it('keeps answers within its byte budget, dropping the least recently used first', () => {
    const entry = sizeOf('a', 'xxxx');
    const cache = new ResponseCache(3 * entry);
    for (const key of ['a', 'b', 'c']) cache.set(key, answer('xxxx'), cache.generation);
    expect(cache.sizeBytes).toBe(3 * entry);
    cache.get('a'); // now b is the least recently used
    cache.set('d', answer('xxxx'), cache.generation);
    expect(cache.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((key) => cache.get(key))).toEqual([answer('xxxx'), answer('xxxx'), answer('xxxx')]);
    expect(cache.size).toBe(3);
  });

  it('replaces an answer under the same key without counting it twice', () => {
    const cache = new ResponseCache(1_000);
    cache.set('a', answer('old'), cache.generation);
    cache.set('a', answer('new'), cache.generation);
    expect(cache.get('a')).toEqual(answer('new'));
    expect(cache.sizeBytes).toBe(sizeOf('a', 'new'));
  });

  it('keeps no answer larger than the whole budget', () => {
    const cache = new ResponseCache(10);
    cache.set('a', answer('far more than ten characters'), cache.generation);
    expect(cache.size).toBe(0);
  });

  it('forgets everything on invalidate, and refuses answers computed before it', () => {
    const cache = new ResponseCache();
    const before = cache.generation;
    cache.set('a', answer('x'), before);
    cache.invalidate();
    expect(cache.get('a')).toBeUndefined();
    expect(cache.sizeBytes).toBe(0);
    // A request that started before the change finishes after it: its answer may be stale.
    cache.set('b', answer('stale'), before);
    expect(cache.get('b')).toBeUndefined();
    cache.set('b', answer('fresh'), cache.generation);
    expect(cache.get('b')).toEqual(answer('fresh'));
  });
});
