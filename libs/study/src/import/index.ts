export * from './import-dataset.ts';
