/** The value after `--name` on the benchmark's command line, or `fallback` when it is absent. */
export function benchOption(name: string, fallback: string, args: readonly string[] = process.argv.slice(2)): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
}
