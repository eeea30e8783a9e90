export * from './leads.ts';
export * from './recording.ts';
