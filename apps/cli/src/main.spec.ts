import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { UsageError } from './cli-errors.ts';
import { buildProgram, commandNames, leadwiseVersion, main } from './main.ts';
import { runCli } from './testing.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const bin = fileURLToPath(new URL('../bin/leadwise.mjs', import.meta.url));

describe('leadwise CLI', () => {
  it('registers every command with a description and --help', async () => {
    const program = await buildProgram();
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(commandNames());
    expect(names).toEqual(expect.arrayContaining(['version', 'split', 'predictions']));
    for (const command of program.commands) {
      expect(command.description(), `${command.name()} has a description`).not.toBe('');
      expect(command.helpInformation()).toContain('--help');
    }
  });

  it('prints top-level help from the catalog, loading no command module', async () => {
    const loads = vi.fn(async () => undefined);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await main(['node', 'leadwise', '--help'], { catalog: [{ name: 'only-in-catalog', description: 'from dist/commands.json' }], beforeCommandLoad: loads });
      expect(out.mock.calls.join('')).toContain('only-in-catalog  from dist/commands.json');
    } finally {
      out.mockRestore();
    }
    expect(loads).not.toHaveBeenCalled();
    process.exitCode = 0;
  });

  it('prints the version with --version and exits 0', async () => {
    expect(await runCli(['--version'])).toMatchObject({ exitCode: 0, stdout: `${leadwiseVersion()}\n` });
    expect(leadwiseVersion()).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  });

  it('exits 2 on usage errors with one line that says where to look', async () => {
    const unknown = await runCli(['split']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe("error: missing required argument 'dataset' (see leadwise split --help)\n");
    expect((await runCli(['no-such-command'])).exitCode).toBe(2);
    const badValue = await runCli(['predictions', '--run', 'x']);
    expect(badValue).toMatchObject({ exitCode: 2, stderr: 'leadwise: --run must be a run id, got "x"\n' });
  });

  it('prints failures as one line, and their stack trace only with --debug or LEADWISE_DEBUG=1', async () => {
    const missing = ['stats', '/nonexistent/scores.csv'];
    const plain = await runCli(missing);
    expect(plain).toMatchObject({ exitCode: 1, stderr: 'leadwise: /nonexistent/scores.csv: cannot read file (ENOENT)\n' });
    const debug = await runCli([...missing, '--debug']);
    expect(debug.exitCode).toBe(1);
    expect(debug.stderr).toMatch(/^leadwise: \/nonexistent\/scores.csv: cannot read file \(ENOENT\)\nStatsInputError: [^\n]*\n\s+at /);
    vi.stubEnv('LEADWISE_DEBUG', '1');
    try {
      expect((await runCli(missing)).stderr).toMatch(/\n\s+at /);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('says "unexpected failure" and how to see more for an error that is not a Leadwise one', async () => {
    const { reportFailure } = await import('./cli-errors.ts');
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(reportFailure(new TypeError('x is not a function'), false)).toBe(1);
      expect(reportFailure(new UsageError('--seed must be an integer'), false)).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0]))).toEqual([
        'leadwise: unexpected failure: x is not a function (run again with --debug for the stack trace)\n',
        'leadwise: --seed must be an integer\n',
      ]);
    } finally {
      err.mockRestore();
    }
  });

  // The compiled entry, as `npx leadwise` runs it; built here as `npm ci` builds it (prepare), so the
  // test never runs a stale dist/.
  it('starts the compiled entry for --help and --version without loading any library', { timeout: 120_000 }, () => {
    const build = spawnSync(process.execPath, [fileURLToPath(new URL('../build.mjs', import.meta.url))], { cwd: repoRoot, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    expect(existsSync(new URL('../dist/leadwise.mjs', import.meta.url))).toBe(true);
    for (const flag of ['--help', '--version']) {
      const result = spawnSync(process.execPath, [bin, flag], { cwd: repoRoot, encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      if (flag === '--help') expect(result.stdout).toContain('split ');
    }
    // Exit codes through the compiled entry, whose error handling is a separate copy from the commands'.
    const usage = spawnSync(process.execPath, [bin, 'predictions', '--run', 'x'], { cwd: repoRoot, encoding: 'utf8' });
    expect([usage.status, usage.stderr]).toEqual([2, 'leadwise: --run must be a run id, got "x"\n']);
    const commander = spawnSync(process.execPath, [bin, 'split'], { cwd: repoRoot, encoding: 'utf8' });
    expect(commander.status).toBe(2);
    const failure = spawnSync(process.execPath, [bin, 'stats', '/nonexistent.csv'], { cwd: repoRoot, encoding: 'utf8' });
    expect([failure.status, failure.stderr]).toEqual([1, 'leadwise: /nonexistent.csv: cannot read file (ENOENT)\n']);
    // What keeps it instant (CPU time is measured in docs/benchmarks.md, not asserted here): the
    // compiled entry bundles no library; a command's modules load only when that command runs.
    const entry = readFileSync(new URL('../dist/leadwise.mjs', import.meta.url), 'utf8');
    expect(entry).not.toMatch(/@tensorflow\/|@leadwise\/(models|study|db|render|llm|metrics|ecg)/);
  });

  it('prints a bad flag value as one plain line, exit code 2, no stack trace', async () => {
    for (const args of [
      ['evaluate', '--run', 'abc', '--dataset', 'x'],
      ['train', '--dataset', 'x', '--model', 'resnet18', '--epochs', 'abc'],
      ['import', 'manifest', '/nowhere', '--max-file-mb', '-1'],
    ]) {
      const run = await runCli(args);
      expect(run.exitCode, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^leadwise: --[a-z-]+ must be .*\n$/);
      expect(run.stderr).not.toMatch(/unexpected failure|\n\s+at /);
    }
  });
});
