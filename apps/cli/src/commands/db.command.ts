import type { Command } from 'commander';
import type { DatabaseDriver, DatabaseHandle } from '@leadwise/db';
import { printResult } from '../cli-kit.ts';

// Loaded when a subcommand runs, not when the CLI starts (other commands load it lazily too).
const loadDb = () => import('@leadwise/db');

interface DbStatus {
  driver: DatabaseDriver;
  /** Password masked. */
  location: string;
  migrations: { tag: string; applied: boolean; appliedAt: string | null }[];
  pending: number;
  /** Row counts per table; absent when migrations are pending (the tables may not exist yet). */
  tables?: Record<string, number>;
}

async function readStatus(handle: DatabaseHandle): Promise<DbStatus> {
  const db = await loadDb();
  const migrations = (await db.migrationStatus(handle.db)).map((m) => ({ ...m, appliedAt: m.appliedAt?.toISOString() ?? null }));
  const pending = migrations.filter((m) => !m.applied).length;
  const status: DbStatus = { driver: handle.driver, location: handle.location, migrations, pending };
  if (pending === 0) status.tables = await db.tableRowCounts(handle.db);
  return status;
}

function formatStatus(s: DbStatus): string {
  const lines = [`driver    ${s.driver}`, `location  ${s.location}`, 'migrations:'];
  for (const m of s.migrations) lines.push(`  ${m.applied ? 'applied' : 'PENDING'}  ${m.tag}`);
  if (s.pending > 0) lines.push(`${s.pending} pending: run \`leadwise db migrate\``);
  if (s.tables) {
    lines.push('tables:');
    const width = Math.max(...Object.keys(s.tables).map((k) => k.length));
    for (const [name, n] of Object.entries(s.tables)) lines.push(`  ${name.padEnd(width)}  ${n}`);
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  const dbCommand = program
    .command('db')
    .description('Database: apply migrations and show status (DATABASE_URL for PostgreSQL, else PGlite under LEADWISE_HOME)');

  dbCommand
    .command('migrate')
    .description('Apply pending migrations (they also apply whenever Leadwise opens the database)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const handle = await (await loadDb()).openDatabase({ migrate: true });
      try {
        printResult(await readStatus(handle), opts.json, (s) => `migrations up to date (${s.migrations.length} applied)\n${formatStatus(s)}`);
      } finally {
        await handle.close();
      }
    });

  dbCommand
    .command('status')
    .description('Show the driver, where the data is (password masked), applied and pending migrations, and table row counts')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const handle = await (await loadDb()).openDatabase({ migrate: false });
      try {
        printResult(await readStatus(handle), opts.json, formatStatus);
      } finally {
        await handle.close();
      }
    });
}
