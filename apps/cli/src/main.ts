import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { debugRequested, EXIT_USAGE, reportFailure } from './cli-errors.ts';

/** A command module registers itself on the program; one file per command under ./commands. */
export interface CommandModule {
  register(program: Command): void;
}

/** What top-level help shows for a command without loading its module (and its libraries). */
export interface CommandCatalogEntry {
  name: string;
  description: string;
}

export interface MainOptions {
  /**
   * The commands' names and descriptions, written by the build (dist/commands.json). Without it
   * every command module is loaded to learn them, as the tests and a source checkout do.
   */
  catalog?: readonly CommandCatalogEntry[];
  /** Runs before the first command module loads: the compiled entry registers the TypeScript loader here. */
  beforeCommandLoad?: () => Promise<void>;
}

// The same relative paths from src/main.ts and from the compiled dist/leadwise.mjs.
const commandsDir = new URL('../src/commands/', import.meta.url);
const packageJson = new URL('../package.json', import.meta.url);

export function leadwiseVersion(): string {
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

/** Command names, from the files in ./commands: `train.command.ts` defines `leadwise train`. */
export function commandNames(): string[] {
  return readdirSync(fileURLToPath(commandsDir))
    .filter((f) => f.endsWith('.command.ts'))
    .map((f) => f.slice(0, -'.command.ts'.length))
    .sort();
}

async function loadCommand(name: string): Promise<CommandModule> {
  return (await import(new URL(`${name}.command.ts`, commandsDir).href)) as CommandModule;
}

function newProgram(commandName?: string): Command {
  return new Command('leadwise')
    .description('ECG image classification research: import, render, train, evaluate, compare, report')
    .version(leadwiseVersion(), '-V, --version', 'print the Leadwise version')
    .option('--debug', 'print stack traces of failures (or set LEADWISE_DEBUG=1)')
    .configureOutput({
      // One line per usage error, with where to look, instead of the whole help text.
      outputError: (text, write) => write(`${text.trimEnd()} (see leadwise ${commandName ? `${commandName} ` : ''}--help)\n`),
    })
    .exitOverride();
}

/** The program with every command module loaded (tests, catalog generation). */
export async function buildProgram(): Promise<Command> {
  const program = newProgram();
  // Commands are discovered rather than listed so that adding one never touches a shared file.
  for (const name of commandNames()) (await loadCommand(name)).register(program);
  return program;
}

/** The command a command line asks for (`leadwise [--debug] <name> ...` or `leadwise help <name>`), if any. */
export function requestedCommand(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * Runs the CLI. Only the module of the command asked for is loaded, so `leadwise --help` and
 * `--version` never load TensorFlow.js, drizzle or the SDKs. Exit status: 0 success, 1 failure,
 * 2 usage error.
 */
export async function main(argv: string[], options: MainOptions = {}): Promise<void> {
  const args = argv.slice(2);
  const debug = debugRequested(args);
  try {
    const names = commandNames();
    const wanted = requestedCommand(args);
    let program: Command;
    if (wanted !== undefined && names.includes(wanted)) {
      program = newProgram(wanted);
      await options.beforeCommandLoad?.();
      (await loadCommand(wanted)).register(program);
    } else if (options.catalog) {
      program = newProgram();
      for (const entry of options.catalog) program.command(entry.name).description(entry.description);
    } else {
      program = await buildProgram();
    }
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" carry exit code 0; every other one is a usage error.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.exitCode = reportFailure(error, debug);
  }
}
