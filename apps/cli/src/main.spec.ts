import { describe, expect, it } from 'vitest';
import { buildProgram } from './main.ts';

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
});
