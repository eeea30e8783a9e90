import { defineConfig } from 'vitest/config';

// One runner for the whole workspace. Integration tests share one PostgreSQL server, so files run
// in separate processes and each test creates its own database schema (see libs/db testing).
export default defineConfig({
  // graphql has no `exports` map: Node loads its CommonJS build, Vite would pick `index.mjs`. Two
  // copies break type-graphql's `instanceof` checks, so tests resolve it the way Node does.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['{apps,libs}/*/src/**/*.spec.ts', 'e2e/**/*.spec.ts', 'tools/**/*.spec.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.leadwise/test-results.json' },
    setupFiles: ['reflect-metadata'],
  },
});
