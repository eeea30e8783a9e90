export * from './assign-splits.ts';
export * from './split-dataset.ts';
