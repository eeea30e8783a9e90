import { studyJobHandlers, type JobHandlerRegistry } from '@leadwise/study';

/** The job kinds this worker runs: the study's train and evaluate jobs (libs/study does the work). */
export function defaultJobHandlers(): JobHandlerRegistry {
  return studyJobHandlers();
}
