import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './client.ts';
import { DatabaseOpenError } from './errors.ts';
import { migrationStatus } from './migrations.ts';
import { MIGRATIONS_FOLDER, REPO_ROOT, redactDatabaseUrl, resolveLeadwiseHome } from './paths.ts';
import { queryRows } from './raw-query.ts';
import { datasets } from './schema/index.ts';
import { DEFAULT_TEST_DATABASE_URL, TEST_DRIVERS, openTestDatabase, type TestDatabase } from './testing.ts';

// The tables the init_schema migration must create (one per schema table, listed by hand from the spec).
const EXPECTED_TABLES = [
  'datasets',
  'experiments',
  'jobs',
  'lead_group_attributions',
  'llm_responses',
  'predictions',
  'records',
  'render_styles',
  'rendered_images',
  'run_artifacts',
  'run_latest_metrics',
  'run_metrics',
  'run_params',
  'run_tags',
  'runs',
];

describe.each(TEST_DRIVERS)('migrations on %s', (driver) => {
  let handle: TestDatabase;
  beforeAll(async () => {
    handle = await openTestDatabase(driver);
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('applies every migration in the folder and creates the schema tables', async () => {
    const status = await migrationStatus(handle.db);
    const sqlFiles = readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql'));
    expect(status).toHaveLength(sqlFiles.length);
    expect(status.every((m) => m.applied)).toBe(true);
    expect(status[0].tag).toBe('0000_init_schema');
    const tables = await queryRows<{ table_name: string }>(
      handle.db,
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(EXPECTED_TABLES);
    expect(handle.driver).toBe(driver);
  });

  it('creates the partial index for misclassified predictions', async () => {
    const [index] = await queryRows<{ indexdef: string }>(
      handle.db,
      sql`select indexdef from pg_indexes where indexname = 'predictions_run_misclassified_idx'`,
    );
    expect(index.indexdef).toMatch(/WHERE \(true_label <> predicted_label\)/);
  });
});

describe('openDatabase with PGlite', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'leadwise-db-spec-'));
  });
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('persists under LEADWISE_HOME/pglite and does not re-apply migrations on reopen', async () => {
    const dataDir = join(home, 'pglite');
    const first = await openDatabase({ driver: 'pglite', pgliteDataDir: dataDir });
    await first.db.insert(datasets).values({ name: 'kept', kind: 'ptbxl', sourcePath: '/x', labelRule: 'r' });
    await first.close();
    const second = await openDatabase({ driver: 'pglite', pgliteDataDir: dataDir });
    try {
      const rows = await second.db.select().from(datasets);
      expect(rows.map((r) => r.name)).toEqual(['kept']);
      const [{ n }] = await queryRows<{ n: number | string }>(second.db, sql`select count(*) as n from drizzle.__drizzle_migrations`);
      expect(Number(n)).toBe(readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql')).length);
      expect(second.location).toBe(dataDir);
    } finally {
      await second.close();
    }
  });

  it('defaults to .leadwise at the repository root, or LEADWISE_HOME resolved from cwd', () => {
    expect(resolveLeadwiseHome({})).toBe(resolve(REPO_ROOT, '.leadwise'));
    expect(resolveLeadwiseHome({ LEADWISE_HOME: '/srv/leadwise' })).toBe('/srv/leadwise');
    expect(resolveLeadwiseHome({ LEADWISE_HOME: 'rel' })).toBe(resolve(process.cwd(), 'rel'));
  });
});

describe('openDatabase with PostgreSQL', () => {
  it('runs migrations once when several processes open a fresh database at the same time', async () => {
    // Two handles on one fresh database stand in for an API and a worker starting together.
    const base = await openTestDatabase('postgres');
    try {
      const url = new URL(process.env.TEST_DATABASE_URL?.trim() || DEFAULT_TEST_DATABASE_URL);
      const [{ name }] = await queryRows<{ name: string }>(base.db, sql`select current_database() as name`);
      url.pathname = `/${name}`;
      await base.db.execute(sql`drop schema drizzle cascade`);
      await base.db.execute(sql`drop schema public cascade`);
      await base.db.execute(sql`create schema public`);
      const handles = await Promise.all([1, 2, 3].map(() => openDatabase({ databaseUrl: url.toString(), poolMax: 2 })));
      const [{ n }] = await queryRows<{ n: string }>(base.db, sql`select count(*) as n from drizzle.__drizzle_migrations`);
      expect(Number(n)).toBe(readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql')).length);
      await Promise.all(handles.map((h) => h.close()));
    } finally {
      await base.close();
    }
  });

  it('never puts the password in errors or the printed location', async () => {
    // Port 1 refuses connections, so the open fails after the URL was parsed.
    const url = 'postgres://leadwise:hunter2-secret@127.0.0.1:1/leadwise';
    const failure = await openDatabase({ databaseUrl: url }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(DatabaseOpenError);
    expect(String((failure as Error).message)).not.toContain('hunter2');
    expect(String((failure as Error).message)).toContain('postgres://leadwise:***@127.0.0.1:1/leadwise');
    expect(redactDatabaseUrl('postgres://u:p%40ss@h:5432/db?sslpassword=x')).toBe('postgres://u:***@h:5432/db?sslpassword=***');
    expect(redactDatabaseUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
  });
});
