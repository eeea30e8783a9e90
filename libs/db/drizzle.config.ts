import { defineConfig } from 'drizzle-kit';

// Run from the repository root (`npm run db:generate -- --name <what-it-does>`); paths are relative to it.
export default defineConfig({
  dialect: 'postgresql',
  schema: './libs/db/src/schema/index.ts',
  out: './migrations',
  strict: true,
  verbose: true,
});
