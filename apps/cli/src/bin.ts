// Entry point of the compiled CLI (dist/leadwise.mjs, built by build.mjs): it holds commander and
// the command catalog only; a command's module, in TypeScript with its libraries, is loaded through
// tsx when that command runs.
import { readFileSync } from 'node:fs';
import { main, type CommandCatalogEntry } from './main.ts';

const catalog = JSON.parse(readFileSync(new URL('./commands.json', import.meta.url), 'utf8')) as CommandCatalogEntry[];
await main(process.argv, {
  catalog,
  beforeCommandLoad: async () => {
    const { register } = await import('tsx/esm/api');
    register();
  },
});
