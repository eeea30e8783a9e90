/** Kinds of work a worker runs; one pg-boss queue per kind (`leadwise-<kind>`). */
export const JOB_KINDS = ['train', 'evaluate', 'llm'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export function queueName(kind: string): string {
  return `leadwise-${kind}`;
}

export function isJobKind(kind: string): kind is JobKind {
  return (JOB_KINDS as readonly string[]).includes(kind);
}
