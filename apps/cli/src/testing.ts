import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, vi } from 'vitest';
import { createScratchDatabase } from '@leadwise/db/testing';
import { main } from './main.ts';

export interface CliRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs `leadwise <args>` in-process for a test, capturing stdout, stderr and the exit code. */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const previousExitCode = process.exitCode;
  process.exitCode = 0;
  try {
    await main(['node', 'leadwise', ...args]);
    return {
      stdout: out.mock.calls.map((call) => String(call[0])).join(''),
      stderr: err.mock.calls.map((call) => String(call[0])).join(''),
      exitCode: Number(process.exitCode ?? 0),
    };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = previousExitCode;
  }
}

/**
 * For the spec file that calls it: a fresh PostgreSQL database (given to the commands through
 * DATABASE_URL, as a user would) and a fresh LEADWISE_HOME, created before its tests and dropped
 * after them; the caller's environment is put back. `home()` is the home folder.
 */
export function useScratchDatabase(prefix: string): { home: () => string } {
  let home = '';
  let database: { url: string; drop(): Promise<void> } | null = null;
  const saved = { home: process.env.LEADWISE_HOME, url: process.env.DATABASE_URL };
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), `${prefix}-`));
    database = await createScratchDatabase(prefix);
    process.env.LEADWISE_HOME = home;
    process.env.DATABASE_URL = database.url;
  });
  afterAll(async () => {
    if (saved.home === undefined) delete process.env.LEADWISE_HOME;
    else process.env.LEADWISE_HOME = saved.home;
    if (saved.url === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved.url;
    await database?.drop();
    await rm(home, { recursive: true, force: true });
  });
  return { home: () => home };
}
