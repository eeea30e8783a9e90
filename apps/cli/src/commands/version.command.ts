import type { Command } from 'commander';
import { printResult } from '../cli-kit.ts';
import { leadwiseVersion } from '../main.ts';

export function register(program: Command): void {
  program
    .command('version')
    .description('Print the Leadwise version and the Node.js runtime')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      printResult({ leadwise: leadwiseVersion(), node: process.version }, opts.json, (r) => `leadwise ${r.leadwise} (node ${r.node})`);
    });
}
