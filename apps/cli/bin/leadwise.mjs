#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader so `npx leadwise` works right after `npm ci`,
// with no build step between a source edit and the command a researcher types.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
await main(process.argv);
