#!/usr/bin/env node
// The `leadwise` command. It runs the compiled entry (dist/, built by `npm ci` / `npm install`
// through the workspace's prepare script); a checkout not built yet runs the sources through tsx,
// which works the same but starts slower.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/leadwise.mjs', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/main.ts');
  await main(process.argv);
}
