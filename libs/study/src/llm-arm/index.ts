export * from './db-response-cache.ts';
export * from './llm-pages.ts';
export * from './run-llm-arm.ts';
