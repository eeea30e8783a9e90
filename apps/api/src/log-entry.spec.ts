import { failedQuery } from '@leadwise/db/testing';
import { describe, expect, it } from 'vitest';
import { formatLogEntry } from './server.ts';

describe('formatLogEntry', () => {
  it('leaves SQL parameters out of the log: they carry client input and patient data', () => {
    const error = failedQuery('select * from datasets where name = $1', ['a\u0000\n<fake line>', 'p123'], new Error('invalid byte sequence for encoding "UTF8": 0x00'));
    const text = formatLogEntry({ errorId: 'x-1', error });
    expect(text).toContain('Failed query: select * from datasets where name = $1 (2 parameters, not shown): invalid byte sequence');
    expect(text).not.toMatch(/fake line|p123/);
  });

  it('cannot be made to forge a log line: every line carries the prefix and control characters are escaped', () => {
    const text = formatLogEntry({ errorId: 'x-2', error: new Error('bad name "a\u0000\n2026-01-01 leadwise api: all good\u001b[2K"') });
    const lines = text.split('\n');
    expect(lines.every((line) => line.startsWith('leadwise api: '))).toBe(true);
    expect(lines[1]).toMatch(/^leadwise api: \| 2026-01-01 leadwise api: all good\\u001b\[2K"$/);
    expect(lines[0]).toContain('a\\u0000');
  });
});
