import { describe, expect, it } from 'vitest';
import { authConfigFromEnv, isValidApiKey, presentedApiKey } from './auth.ts';
import { decodeCursor, encodeCursor } from './pagination/cursor.ts';

const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name] });

describe('API key', () => {
  it('accepts exactly the configured key, and nothing when none is configured', () => {
    expect(isValidApiKey('s3cret', 's3cret')).toBe(true);
    expect(isValidApiKey('s3cret ', 's3cret')).toBe(false);
    expect(isValidApiKey('s3cre', 's3cret')).toBe(false);
    expect(isValidApiKey('', 's3cret')).toBe(false);
    expect(isValidApiKey(undefined, 's3cret')).toBe(false);
    expect(isValidApiKey('anything', undefined)).toBe(false);
    expect(isValidApiKey('', '')).toBe(false);
  });

  it('reads the key from a Bearer authorization header or x-api-key', () => {
    expect(presentedApiKey(headers({ authorization: 'Bearer abc' }))).toBe('abc');
    expect(presentedApiKey(headers({ authorization: 'bearer  abc ' }))).toBe('abc');
    expect(presentedApiKey(headers({ 'x-api-key': 'xyz' }))).toBe('xyz');
    expect(presentedApiKey(headers({ authorization: 'Basic abc' }))).toBeUndefined();
    expect(presentedApiKey(headers({}))).toBeUndefined();
  });

  it('reads the policy from the environment (queries open unless configured)', () => {
    expect(authConfigFromEnv({})).toEqual({ apiKey: undefined, queriesRequireKey: false });
    expect(authConfigFromEnv({ LEADWISE_API_KEY: ' k ', LEADWISE_API_QUERIES_REQUIRE_KEY: 'true' })).toEqual({ apiKey: 'k', queriesRequireKey: true });
    expect(authConfigFromEnv({ LEADWISE_API_KEY: '', LEADWISE_API_QUERIES_REQUIRE_KEY: 'no' })).toEqual({ apiKey: undefined, queriesRequireKey: false });
  });
});

describe('cursors', () => {
  it('round-trip and reject anything this API did not issue, naming the argument', () => {
    expect(decodeCursor(encodeCursor([0.25, 42]))).toEqual([0.25, 42]);
    expect(decodeCursor(encodeCursor([null, 7]))).toEqual([null, 7]);
    for (const bad of ['', 'not base64!', Buffer.from('[1]').toString('base64url'), Buffer.from('[1, 2.5]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')]) {
      expect(() => decodeCursor(bad, 'after')).toThrow(/after: not a cursor this API issued/);
    }
  });
});
