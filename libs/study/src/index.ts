export * from './study/study-config.ts';
export * from './summary/index.ts';
export * from './jobs/index.ts';
export * from './import/index.ts';
export * from './render/index.ts';
export * from './llm-arm/index.ts';
