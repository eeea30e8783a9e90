import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { TRAINING_PROFILES as STUDY_PROFILES, type TrainingProfile as StudyProfile } from '@leadwise/models';
import { createProgressBar, formatSeconds, printResult, UsageError, type ProgressBar } from '../cli-kit.ts';

interface StudyFlags {
  config: string;
  processes: string;
  profile?: StudyProfile;
  report?: string;
  reportOnly?: boolean;
  only?: string;
  json?: boolean;
}

/** `--only resnet18,leadgroup`: each name must be one of the config's models. */
function parseOnlyModels<T extends string>(text: string, configModels: readonly T[]): T[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!configModels.includes(name as T)) throw new UsageError(`--only "${name}" is not one of the config's models: ${configModels.join(', ')}`);
  }
  return names as T[];
}

export function register(program: Command): void {
  program
    .command('study')
    .description('Run the whole comparative study (import, train, evaluate, LLM arm, statistics) and write its report; resumable')
    .option('--config <file>', 'study config (YAML), documented field by field in the default', 'study.yaml')
    .option('--profile <name>', `override the config's profile: ${STUDY_PROFILES.join(' | ')}`)
    .option('--report <dir>', "report folder (default: the config's report.out)")
    .option('--processes <n>', 'training processes at once on PostgreSQL (default: one per core); embedded PGlite trains one at a time', String(availableParallelism()))
    .option('--only <models>', "run only these models' training and evaluation steps now (comma-separated); a later full run skips what they finished")
    .option('--report-only', 'write the report of the existing experiment from the database, running no step')
    .option('--json', 'print the result as JSON')
    .action(async (flags: StudyFlags) => {
      if (flags.profile && !STUDY_PROFILES.includes(flags.profile)) {
        throw new UsageError(`--profile must be one of ${STUDY_PROFILES.join(', ')}, got "${flags.profile}"`);
      }
      const { openDatabase, redactDatabaseUrl } = await import('@leadwise/db');
      const { loadStudyConfig, parseStudyConfig, resolveStudyPlan, runStudy } = await import('@leadwise/study');
      const configPath = resolve(flags.config);
      const config = parseStudyConfig(loadStudyConfig(configPath), configPath);
      const plan = resolveStudyPlan(config, flags.profile);
      const processes = Number(flags.processes);
      if (!Number.isInteger(processes) || processes < 1) throw new UsageError(`--processes must be a positive integer, got "${flags.processes}"`);
      const { db, driver, close } = await openDatabase();
      const databaseUrl = process.env.DATABASE_URL;
      if (driver === 'pglite' && processes > 1) {
        process.stderr.write('embedded PGlite belongs to one process: training runs one at a time (set DATABASE_URL to train one run per core)\n');
      }
      process.stderr.write(
        `leadwise study: ${plan.config.name}, profile ${plan.config.profile}, database ${driver}` +
          `${process.env.DATABASE_URL ? ` (${redactDatabaseUrl(process.env.DATABASE_URL)})` : ''}\n`,
      );
      let bar: ProgressBar | null = null;
      let barStep = -1;
      try {
        const result = await runStudy(db, {
          plan,
          reportDir: flags.report,
          reportOnly: flags.reportOnly,
          onlyModels: flags.only ? parseOnlyModels(flags.only, plan.config.models) : undefined,
          parallelTraining: driver === 'postgres' && databaseUrl && processes > 1 ? { processes, databaseUrl } : null,
          log: (line) => {
            bar?.stop();
            bar = null;
            barStep = -1;
            process.stderr.write(`${line}\n`);
          },
          onProgress: (p) => {
            const label = `[${p.step}/${p.steps}] ${p.title}${p.etaS !== null ? ` (study eta ${formatSeconds(p.etaS)})` : ''}`;
            if (p.skipped) {
              process.stderr.write(`[${p.step}/${p.steps}] ${p.title}: already done, skipped\n`);
              return;
            }
            if (p.total === undefined || p.total === 0) {
              if (barStep !== p.step) process.stderr.write(`${label}\n`);
              barStep = p.step;
              return;
            }
            if (!bar || barStep !== p.step) {
              bar?.stop();
              bar = createProgressBar(label, p.total);
              barStep = p.step;
            }
            bar.update(p.done ?? 0, p.total);
          },
        });
        (bar as ProgressBar | null)?.stop();
        printResult(result, flags.json, (r) =>
          [
            `experiment ${r.experimentId} ${r.created ? 'created' : 'resumed'}: ${r.stepsRun} steps run, ${r.stepsSkipped} already done, ${formatSeconds(r.wallTimeS)}`,
            r.llmSkippedReason ? `LLM arm skipped: ${r.llmSkippedReason}` : 'LLM arm: run',
            `report: ${r.report.htmlPath}`,
            `        ${r.report.markdownPath}`,
          ].join('\n'),
        );
      } finally {
        await close();
      }
    });
}
