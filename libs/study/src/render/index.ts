export * from './render-dataset.ts';
export * from './render-record-files.ts';
export * from './record-page.ts';
