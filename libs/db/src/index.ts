export * from './schema/index.ts';
export * from './schema/enums.ts';
export * from './client.ts';
export * from './errors.ts';
export { migrationStatus, type MigrationStatus } from './migrations.ts';
export { MIGRATIONS_FOLDER, REPO_ROOT, redactDatabaseUrl, resolveLeadwiseHome } from './paths.ts';
