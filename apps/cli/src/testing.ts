import { vi } from 'vitest';
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
