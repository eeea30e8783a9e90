export * from './summary-metrics.ts';
export * from './record-evaluation-metrics.ts';
export * from './study-summary.ts';
