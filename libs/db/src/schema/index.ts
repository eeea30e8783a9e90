export * from './datasets.ts';
export * from './renders.ts';
export * from './experiments.ts';
export * from './predictions.ts';
export * from './llm-responses.ts';
export * from './jobs.ts';
export * from './relations.ts';
