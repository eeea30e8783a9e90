import { trainRunsInParallel } from '../training/index.ts';
import { StudyRunError, trainSpec, type StudyContext, type StudyStep } from './study-steps.ts';

export interface StudyProgress {
  step: number;
  steps: number;
  title: string;
  skipped: boolean;
  /** Progress inside the step, when the step reports it. */
  done?: number;
  total?: number;
  /** Remaining-time estimate for the whole study, from measured step times and step weights. */
  etaS: number | null;
}

export interface SchedulerOptions {
  onProgress?: (progress: StudyProgress) => void;
  /** Train the runs `processes` at a time in child processes (see RunStudyOptions.parallelTraining). */
  parallelTraining?: { processes: number; databaseUrl: string } | null;
}

/** Everything the scheduler learns while it works through the steps, in one place. */
interface SchedulerState {
  readonly totalWeight: number;
  weightDone: number;
  measuredSeconds: number;
  measuredWeight: number;
  stepsRun: number;
  stepsSkipped: number;
  /** Training runs still going on in child processes. */
  runsInChildren: number;
  /** 'pending' while child processes are asked for and the first training step is not reached yet. */
  parallelPhase: 'pending' | 'started';
  /** Per train step key: settles when its child process finishes the run. */
  trainedInChild: Map<string, Promise<void>>;
  /** The step the loop waits on for a child, so training progress is shown as that step's. */
  waitingForTraining: { index: number; title: string } | null;
  /** A failed step stops the children too: none keeps training for a study that has ended. */
  readonly stopTraining: AbortController;
}

/**
 * Runs the steps in order, skipping those the database already holds. With child processes, every
 * pending training run is started (two at a time) when the first one is reached, after the imports;
 * the loop then waits for each run as it reaches its train step and evaluates it while the children
 * train the next runs, so evaluation overlaps training.
 */
export async function runStudySteps(
  ctx: StudyContext,
  steps: readonly StudyStep[],
  options: SchedulerOptions,
): Promise<{ stepsRun: number; stepsSkipped: number }> {
  const state = initialState(steps, options);
  const stepCtx: StudyContext = { ...ctx, childrenTraining: () => state.runsInChildren > 0 };
  for (const [index, step] of steps.entries()) {
    if (step.parallel && state.parallelPhase === 'pending') await startParallelTraining(stepCtx, steps, state, options);
    const inChild = state.trainedInChild.get(step.key);
    if (inChild) await awaitChildTraining(stepCtx, step, index, inChild, state);
    else await runStep(stepCtx, step, index, steps.length, state, options);
  }
  return { stepsRun: state.stepsRun, stepsSkipped: state.stepsSkipped };
}

function initialState(steps: readonly StudyStep[], options: SchedulerOptions): SchedulerState {
  const inChildren = Boolean(options.parallelTraining && options.parallelTraining.processes > 1);
  return {
    totalWeight: steps.reduce((sum, step) => sum + step.weight, 0),
    weightDone: 0,
    measuredSeconds: 0,
    measuredWeight: 0,
    stepsRun: 0,
    stepsSkipped: 0,
    runsInChildren: 0,
    parallelPhase: inChildren ? 'pending' : 'started',
    trainedInChild: new Map(),
    waitingForTraining: null,
    stopTraining: new AbortController(),
  };
}

function etaSeconds(state: SchedulerState): number | null {
  if (state.measuredWeight === 0) return null;
  return (state.measuredSeconds / state.measuredWeight) * (state.totalWeight - state.weightDone);
}

function recordRun(state: SchedulerState, step: StudyStep, seconds: number): void {
  state.measuredSeconds += seconds;
  state.measuredWeight += step.weight;
  state.weightDone += step.weight;
  state.stepsRun++;
}

function stepFailed(state: SchedulerState, step: StudyStep, error: unknown): StudyRunError {
  state.stopTraining.abort();
  return new StudyRunError(`step "${step.title}" failed: ${(error as Error).message}`);
}

async function runStep(ctx: StudyContext, step: StudyStep, index: number, stepCount: number, state: SchedulerState, options: SchedulerOptions): Promise<void> {
  const report = (extra: Partial<StudyProgress>) =>
    options.onProgress?.({ step: index + 1, steps: stepCount, title: step.title, skipped: false, etaS: etaSeconds(state), ...extra });
  if (await step.done(ctx)) {
    state.stepsSkipped++;
    state.weightDone += step.weight;
    report({ skipped: true });
    return;
  }
  report({});
  const startMs = Date.now();
  try {
    await step.run(ctx, (done, total) => report({ done, total }));
  } catch (error) {
    throw stepFailed(state, step, error);
  }
  const seconds = (Date.now() - startMs) / 1000;
  recordRun(state, step, seconds);
  ctx.log(`done: ${step.title} (${seconds.toFixed(1)} s)`);
}

async function awaitChildTraining(ctx: StudyContext, step: StudyStep, index: number, inChild: Promise<void>, state: SchedulerState): Promise<void> {
  const startMs = Date.now();
  state.waitingForTraining = { index, title: step.title };
  try {
    await inChild;
  } catch (error) {
    throw stepFailed(state, step, error);
  } finally {
    state.waitingForTraining = null;
  }
  const seconds = (Date.now() - startMs) / 1000;
  recordRun(state, step, seconds);
  ctx.log(`done: ${step.title} (in a child process; waited ${seconds.toFixed(1)} s)`);
}

async function startParallelTraining(ctx: StudyContext, steps: readonly StudyStep[], state: SchedulerState, options: SchedulerOptions): Promise<void> {
  state.parallelPhase = 'started';
  const parallelTraining = options.parallelTraining;
  const pending: (StudyStep & { parallel: NonNullable<StudyStep['parallel']> })[] = [];
  for (const step of steps) if (step.parallel && !(await step.done(ctx))) pending.push({ ...step, parallel: step.parallel });
  if (!parallelTraining || pending.length < 2) return;
  ctx.log(`training ${pending.length} runs in ${Math.min(parallelTraining.processes, pending.length)} processes; evaluating each as it finishes`);
  const settle = new Map<string, (error: Error | null) => void>();
  for (const step of pending) {
    const promise = new Promise<void>((resolve, reject) => settle.set(step.key, (error) => (error ? reject(error) : resolve())));
    promise.catch(() => undefined); // observed when its step is reached
    state.trainedInChild.set(step.key, promise);
  }
  const progressByRun = new Map<string, number>();
  state.runsInChildren = pending.length;
  const trainingPhase = trainRunsInParallel(
    pending.map((step) => trainSpec(ctx.plan, step.parallel.model, step.parallel.seed, ctx.experimentId)),
    {
      ...parallelTraining,
      signal: state.stopTraining.signal,
      onRunSettled: (spec, error) => {
        state.runsInChildren -= 1;
        settle.get(`train:${spec.model}:${spec.seed}`)?.(error);
      },
      onBatch: (spec, step, totalSteps) => {
        progressByRun.set(`${spec.model}:${spec.seed}`, step / Math.max(totalSteps, 1));
        const waiting = state.waitingForTraining;
        if (!waiting) return;
        const done = [...progressByRun.values()].reduce((a, b) => a + b, 0);
        options.onProgress?.({
          step: waiting.index + 1,
          steps: steps.length,
          title: `${waiting.title} (${pending.length} runs in ${parallelTraining.processes} processes)`,
          skipped: false,
          done: Math.floor(done * 100),
          total: pending.length * 100,
          etaS: etaSeconds(state),
        });
      },
    },
  );
  trainingPhase.catch(() => undefined); // every failure also rejects its run's step
}
