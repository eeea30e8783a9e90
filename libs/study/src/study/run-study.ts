import { ExperimentStore, RunStore, type LeadwiseDatabase } from '@leadwise/db';
import { resolveEcgDataDir } from '@leadwise/ecg';
import type { Architecture } from '@leadwise/models';
import { writeStudyReport } from '../report/study-report-inputs.ts';
import type { WrittenReport } from '../report/report-writer.ts';
import type { ResolvedStudyPlan } from './study-config.ts';
import { runStudySteps, type StudyProgress } from './study-scheduler.ts';
import { configuredLlmModels, planStudySteps, StudyRunError, type StudyContext, type StudyStep } from './study-steps.ts';

export { writeStudyReport, type StudyReportOptions, type StudyReportSource } from '../report/study-report-inputs.ts';
export type { StudyProgress } from './study-scheduler.ts';
export { configuredLlmModels, planStudySteps, StudyRunError, type StudyContext, type StudyStep } from './study-steps.ts';

export interface RunStudyOptions {
  plan: ResolvedStudyPlan;
  dataDir?: string;
  /** Root folder of reports; default the config's `report.out` relative to the current directory. */
  reportDir?: string;
  onProgress?: (progress: StudyProgress) => void;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /**
   * Train the study's runs `processes` at a time in child processes, one per core (needs PostgreSQL:
   * an embedded PGlite database belongs to one process). Evaluations then run in this process.
   */
  parallelTraining?: { processes: number; databaseUrl: string } | null;
  /**
   * Write the report of the existing experiment from what the database holds, running no step
   * (e.g. to redraw it, or to report a study stopped early); refuses when no experiment matches.
   */
  reportOnly?: boolean;
  /**
   * Run only these models' training and evaluation steps (and the imports) of the experiment now,
   * e.g. one arm while another model's code is still changing; the experiment stays the config's,
   * a later full run skips what these steps finished, and the report covers what is stored.
   */
  onlyModels?: readonly Architecture[];
}

export interface RunStudyResult {
  experimentId: number;
  created: boolean;
  report: WrittenReport;
  stepsRun: number;
  stepsSkipped: number;
  llmSkippedReason: string | null;
  wallTimeS: number;
}

/**
 * Runs a study end to end and writes its report. Resumable: the experiment is keyed by the resolved
 * plan's hash, each step checks the database for its own result first, and training resumes from
 * its last epoch checkpoint; a changed config hashes differently and starts a new experiment.
 */
export async function runStudy(db: LeadwiseDatabase, options: RunStudyOptions): Promise<RunStudyResult> {
  const startMs = Date.now();
  const env = options.env ?? process.env;
  const { plan } = options;
  const { experiment, created } = await openExperiment(db, plan, options.reportOnly ?? false);
  const ctx: StudyContext = { db, plan, experimentId: experiment.id, dataDir: options.dataDir ?? resolveEcgDataDir(env), log: options.log ?? (() => undefined) };
  ctx.log(`${created ? 'created' : 'resuming'} experiment ${experiment.id} (${plan.config.name}, profile ${plan.config.profile}, config ${plan.hash.slice(0, 12)})`);
  const steps = options.reportOnly ? [] : onlyModelSteps(planStudySteps(plan, env), options.onlyModels);
  const { stepsRun, stepsSkipped } = await runStudySteps(ctx, steps, options);

  options.onProgress?.({ step: steps.length, steps: steps.length, title: 'write report', skipped: false, etaS: 0 });
  const { skippedReason } = configuredLlmModels(plan.config, env);
  const report = await writeStudyReport(ctx, {
    reportDir: options.reportDir ?? plan.config.report.out,
    llmSkippedReason: skippedReason,
    // A report-only run reports the study's own span: from the experiment's creation to its last run's end.
    wallTimeS: options.reportOnly ? await experimentSpanSeconds(db, experiment.id, experiment.createdAt) : (Date.now() - startMs) / 1000,
  });
  return { experimentId: experiment.id, created, report, stepsRun, stepsSkipped, llmSkippedReason: skippedReason, wallTimeS: (Date.now() - startMs) / 1000 };
}

/** The study's experiment row, created on the first run; a report-only run must find it. */
async function openExperiment(db: LeadwiseDatabase, plan: ResolvedStudyPlan, reportOnly: boolean) {
  const store = new ExperimentStore(db);
  if (reportOnly && !(await store.getByConfigHash(plan.hash))) {
    throw new StudyRunError(`no experiment has this config (hash ${plan.hash.slice(0, 12)}): run the study first`);
  }
  return store.createOrGetStudy(plan);
}

function onlyModelSteps(steps: StudyStep[], onlyModels: readonly Architecture[] | undefined): StudyStep[] {
  if (!onlyModels) return steps;
  return steps.filter((step) => (step.model ? onlyModels.includes(step.model) : step.key.startsWith('import:')));
}

async function experimentSpanSeconds(db: LeadwiseDatabase, experimentId: number, createdAt: Date): Promise<number> {
  const lastEnd = (await new RunStore(db).lastEndTime(experimentId)) ?? createdAt;
  return Math.max(0, (lastEnd.getTime() - createdAt.getTime()) / 1000);
}
