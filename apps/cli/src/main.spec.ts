import { describe, expect, it } from 'vitest';
import { buildProgram } from './main.ts';
import { runCli } from './testing.ts';

describe('leadwise CLI', () => {
  it('registers every command with a description and --help', async () => {
    const program = await buildProgram();
    const names = program.commands.map((c) => c.name());
    expect(names).toContain('version');
    for (const command of program.commands) {
      expect(command.description(), `${command.name()} has a description`).not.toBe('');
      expect(command.helpInformation()).toContain('--help');
    }
  });

  it('prints a bad flag value as one plain line, exit code 2, no stack trace', async () => {
    for (const args of [
      ['evaluate', '--run', 'abc', '--dataset', 'x'],
      ['train', '--dataset', 'x', '--model', 'resnet18', '--epochs', 'abc'],
      ['import', 'manifest', '/nowhere', '--max-file-mb', '-1'],
    ]) {
      const run = await runCli(args);
      expect(run.exitCode, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^leadwise: UsageError: --[a-z-]+ must be .*\n$/);
      expect(run.stderr).not.toMatch(/unexpected failure|\n\s+at /);
    }
  });
});
