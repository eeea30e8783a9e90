export * from './job-kinds.ts';
export * from './boss-db.ts';
export * from './job-queue.ts';
export * from './job-handler.ts';
export * from './study-jobs.ts';
