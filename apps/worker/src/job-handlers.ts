import type { JobHandlerRegistry } from '@leadwise/study';

/**
 * The job kinds this worker runs, each delegating to libs/study. Kinds whose study function does
 * not exist yet are absent, so their jobs wait in the queue rather than failing.
 */
export function defaultJobHandlers(): JobHandlerRegistry {
  return {};
}
