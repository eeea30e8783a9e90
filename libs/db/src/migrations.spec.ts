import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { asc } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { migratePglite } from './migrations.ts';
import { MIGRATIONS_FOLDER } from './paths.ts';
import { experiments, runMetrics, runs } from './schema/index.ts';

const scratch = mkdtempSync(join(tmpdir(), 'leadwise-migrations-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The migrations folder as it was up to (and including) migration `last`. */
function migrationsUpTo(last: number): string {
  const folder = join(scratch, `upto-${last}`);
  mkdirSync(join(folder, 'meta'), { recursive: true });
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number; tag: string }[] };
  journal.entries = journal.entries.filter((e) => e.idx <= last);
  for (const entry of journal.entries) cpSync(join(MIGRATIONS_FOLDER, `${entry.tag}.sql`), join(folder, `${entry.tag}.sql`));
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
  return folder;
}

describe('migrations', () => {
  it('keeps the latest of duplicated metric steps, then makes (run, key, step) unique', async () => {
    const client = new PGlite();
    const db = drizzle(client, { schema: { experiments, runs, runMetrics } });
    try {
      await migratePglite(db, migrationsUpTo(0));
      const [experiment] = await db.insert(experiments).values({ name: 'e', config: {}, configHash: 'h' }).returning();
      const [run] = await db.insert(runs).values({ experimentId: experiment!.id, kind: 'train', model: 'm' }).returning();
      const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
      // A replayed epoch 1 logged twice; epoch 2 once.
      await db.insert(runMetrics).values([
        { runId: run!.id, key: 'train.loss', value: 0.9, step: 1, timestamp: at(1) },
        { runId: run!.id, key: 'train.loss', value: 0.8, step: 2, timestamp: at(2) },
        { runId: run!.id, key: 'train.loss', value: 0.85, step: 1, timestamp: at(3) },
      ]);
      await migratePglite(db);
      const rows = await db.select().from(runMetrics).orderBy(asc(runMetrics.step));
      expect(rows.map((r) => [r.step, r.value])).toEqual([
        [1, 0.85],
        [2, 0.8],
      ]);
      await expect(db.insert(runMetrics).values({ runId: run!.id, key: 'train.loss', value: 0.1, step: 2 })).rejects.toThrow();
    } finally {
      await client.close();
    }
  });
});
