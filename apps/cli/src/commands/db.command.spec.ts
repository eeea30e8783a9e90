import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MIGRATIONS_FOLDER } from '@leadwise/db';
import { createScratchDatabase } from '@leadwise/db/testing';
import { main } from '../main.ts';

// `leadwise db` against a fresh PostgreSQL database, with a password in DATABASE_URL (the server
// trusts local connections, so it is ignored for login but must never be printed).
const savedUrl = process.env.DATABASE_URL;
const PASSWORD = 'pw-never-printed';
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;

async function run(args: string[]): Promise<string> {
  let output = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    output += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    output += String(chunk);
    return true;
  });
  try {
    await main(['node', 'leadwise', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return output;
}

beforeAll(async () => {
  scratch = await createScratchDatabase('leadwise_cli_db');
  const url = new URL(scratch.url);
  url.password = PASSWORD;
  if (!url.username) url.username = 'postgres';
  process.env.DATABASE_URL = url.toString();
});
afterAll(async () => {
  if (savedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedUrl;
  await scratch.drop();
});

describe('leadwise db', () => {
  it('reports pending migrations, applies them, then shows table counts, never the password', async () => {
    const before = JSON.parse(await run(['db', 'status', '--json'])) as { driver: string; pending: number; location: string; tables?: unknown };
    expect(before.driver).toBe('postgres');
    // Every migration in the folder is pending on a fresh database.
    expect(before.pending).toBe(JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')).entries.length);
    expect(before.tables).toBeUndefined();
    expect(before.location).toContain(':***@');

    const migrated = await run(['db', 'migrate']);
    expect(migrated).toContain('applied  0000_init_schema');
    expect(migrated).toContain('applied  0002_run_metrics_unique_step');

    const after = JSON.parse(await run(['db', 'status', '--json'])) as { pending: number; tables: Record<string, number> };
    expect(after.pending).toBe(0);
    expect(after.tables.predictions).toBe(0);
    expect(Object.keys(after.tables)).toHaveLength(15);

    for (const text of [JSON.stringify(before), migrated, JSON.stringify(after)]) expect(text).not.toContain(PASSWORD);
  });
});
