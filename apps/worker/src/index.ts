export { startWorker, type RunningWorker, type StartWorkerOptions } from './worker.ts';
export { JobRunner, type JobRunnerOptions } from './job-runner.ts';
export { defaultJobHandlers } from './job-handlers.ts';
