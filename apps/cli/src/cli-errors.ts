/** A command line that cannot be acted on (bad flag value, missing argument): exit status 2, as argparse and most CLIs use. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** `--debug` anywhere on the command line, or LEADWISE_DEBUG=1: failures print their stack trace. */
export function debugRequested(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const flag = env.LEADWISE_DEBUG?.trim().toLowerCase();
  return argv.includes('--debug') || (flag !== undefined && flag !== '' && flag !== '0' && flag !== 'false');
}

/**
 * Usage errors: ours, and the flag-parsing errors commands throw before doing any work. By name,
 * not `instanceof`: the compiled entry bundles its own copy of this module, while the command
 * modules (loaded from source) throw the source copy's class.
 */
function isUsageError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'UsageError' || /FlagError$/.test(error.name));
}

/**
 * Prints a failure for a person and returns the exit status. Without debug it is one line: the
 * message, which for Leadwise's own errors names the fix (an unexpected error also says how to see
 * more); with debug the stack trace (and its causes) follows.
 */
export function reportFailure(error: unknown, debug: boolean): number {
  const usage = isUsageError(error);
  const message = error instanceof Error ? error.message : String(error);
  // Leadwise's errors are typed (name set to the class); a plain Error or TypeError is a bug or a
  // library failure whose message may not say what to do.
  const expected = usage || (error instanceof Error && !['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError'].includes(error.name));
  const firstLine = message.split('\n')[0];
  const hint = expected || debug ? '' : ' (run again with --debug for the stack trace)';
  process.stderr.write(`leadwise: ${expected ? message : `unexpected failure: ${firstLine}`}${hint}\n`);
  if (debug) process.stderr.write(`${describeStack(error)}\n`);
  return usage ? EXIT_USAGE : EXIT_FAILURE;
}

function describeStack(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause === undefined ? '' : `\ncaused by: ${describeStack(error.cause)}`;
  return `${error.stack ?? `${error.name}: ${error.message}`}${cause}`;
}
