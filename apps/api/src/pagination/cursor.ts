import { BadInputError } from '../errors.ts';

/**
 * Opaque keyset cursors: the sort key and id of the last item seen, base64url-encoded JSON.
 * Keyset (not offset) pagination keeps page N as fast as page 1 over a million predictions.
 */
export type CursorKey = [sortValue: number | string | null, id: number];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, argName = 'after'): CursorKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadInputError(`${argName}: not a cursor this API issued`, argName);
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !(parsed[0] === null || typeof parsed[0] === 'number' || typeof parsed[0] === 'string') ||
    !Number.isSafeInteger(parsed[1])
  ) {
    throw new BadInputError(`${argName}: not a cursor this API issued`, argName);
  }
  return parsed as CursorKey;
}

/** Takes one row more than the page to learn whether another page follows. */
export function slicePage<T>(rows: T[], first: number, keyOf: (row: T) => CursorKey) {
  const hasNextPage = rows.length > first;
  const items = hasNextPage ? rows.slice(0, first) : rows;
  const last = items[items.length - 1];
  return { items, hasNextPage, endCursor: last === undefined ? null : encodeCursor(keyOf(last)) };
}
