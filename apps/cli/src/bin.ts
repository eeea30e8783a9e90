// Entry point of the compiled CLI (dist/leadwise.mjs, built by build.mjs): it holds commander and
// the command catalog only; a command's module, in TypeScript with its libraries, is loaded through
// tsx when that command runs.
import { readFileSync } from 'node:fs';
import { main, type CommandCatalogEntry } from './main.ts';

// `leadwise --help | head` closes the pipe early: that ends the output, it is not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const catalog = JSON.parse(readFileSync(new URL('./commands.json', import.meta.url), 'utf8')) as CommandCatalogEntry[];
await main(process.argv, {
  catalog,
  beforeCommandLoad: async () => {
    const { register } = await import('tsx/esm/api');
    register();
  },
});
