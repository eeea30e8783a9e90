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

  it('maps the three stored score sources of LLM answers onto the five (migration 0004)', async () => {
    const client = new PGlite();
    const db = drizzle(client, { schema: { experiments, runs } });
    try {
      await migratePglite(db, migrationsUpTo(3));
      const [experiment] = await db.insert(experiments).values({ name: 'e', config: {}, configHash: 'h' }).returning();
      const [run] = await db.insert(runs).values({ experimentId: experiment!.id, kind: 'llm', model: 'm' }).returning();
      await client.exec(`
        INSERT INTO datasets (name, kind, source_path, label_rule) VALUES ('d', 'ptbxl', '/d', 'rule');
        INSERT INTO records (dataset_id, external_id, label, source_codes, sampling_rate_hz, length_samples, signal_path)
          SELECT id, 'r1', 'normal', '{}', 500, 5000, '/r1' FROM datasets;
        INSERT INTO llm_responses (run_id, record_id, model, provider, prompt_name, prompt_hash, image_sha256, image_style, parsed_label, parsed_score, score_source, parse_status) VALUES
          (${run!.id}, (SELECT id FROM records), 'm', 'openai', 'study-zero-shot@1', 'p', 'a', 'grid', 1, 0.93, 'logprob', 'parsed'),
          (${run!.id}, (SELECT id FROM records), 'm', 'openai', 'study-zero-shot@1', 'p', 'b', 'grid', 0, 0.2, 'probability', 'parsed'),
          (${run!.id}, (SELECT id FROM records), 'm', 'openai', 'ordinal-confidence@1', 'q', 'c', 'grid', 1, 0.75, 'probability', 'parsed'),
          (${run!.id}, (SELECT id FROM records), 'm', 'openai', 'study-zero-shot@1', 'p', 'd', 'grid', 1, NULL, 'none', 'parsed'),
          (${run!.id}, (SELECT id FROM records), 'm', 'openai', 'study-zero-shot@1', 'p', 'e', 'grid', NULL, NULL, 'none', 'unparseable');
      `);
      await migratePglite(db);
      const rows = await client.query<{ image_sha256: string; score_source: string; parsed_score: number | null }>(
        'SELECT image_sha256, score_source, parsed_score FROM llm_responses ORDER BY image_sha256',
      );
      expect(rows.rows.map((r) => [r.image_sha256, r.score_source, r.parsed_score])).toEqual([
        ['a', 'label-logprob', 0.93],
        ['b', 'stated-probability', 0.2],
        ['c', 'ordinal-scale', 0.75],
        ['d', 'hard-label', 1],
        ['e', 'none', null],
      ]);
      await expect(client.exec(`UPDATE llm_responses SET score_source = 'probability'`)).rejects.toThrow(/score_source_check/);
    } finally {
      await client.close();
    }
  });
});
