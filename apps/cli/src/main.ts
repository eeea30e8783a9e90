import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { reportFailure } from './cli-kit.ts';

/** A command module registers itself on the program; one file per command under ./commands. */
export interface CommandModule {
  register(program: Command): void;
}

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

export async function buildProgram(): Promise<Command> {
  const program = new Command('leadwise')
    .description('ECG image classification research: import, render, train, evaluate, compare, report')
    .showHelpAfterError()
    .exitOverride();
  // Commands are discovered rather than listed so that adding one never touches a shared file.
  const files = readdirSync(commandsDir).filter((f) => f.endsWith('.command.ts')).sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(commandsDir, file)).href)) as CommandModule;
    mod.register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    process.exitCode = reportFailure(error);
  }
}
