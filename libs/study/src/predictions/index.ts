export * from './run-predictions.ts';
