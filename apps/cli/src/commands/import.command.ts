import { Argument, type Command } from 'commander';
import { openDatabase } from '@leadwise/db';
import { DATASET_KINDS, DEFAULT_IMPORT_LIMITS, type DatasetKind, type ImportLimits } from '@leadwise/ecg';
import { importDataset, type ImportSummary } from '@leadwise/study';
import { createProgressBar, printResult, UsageError, type ProgressBar } from '../cli-kit.ts';
import { formatSplitSummary, parseSplitFlags } from './split.command.ts';

interface ImportFlags {
  name?: string;
  split?: string;
  seed: string;
  force?: boolean;
  json?: boolean;
  maxFileMb: string;
  maxArchiveMb: string;
  maxSamples: string;
}

function splitOptionsOf(fractions: string, seed: string) {
  const parts = fractions.split(',');
  if (parts.length !== 3) throw new UsageError(`--split takes three fractions train,val,test such as 0.6,0.2,0.2, got "${fractions}"`);
  const [train, val, test] = parts;
  return parseSplitFlags({ train, val, test, seed, by: 'patient', stratify: 'label' });
}

export function register(program: Command): void {
  program
    .command('import')
    .description(
      'Import a labelled ECG dataset into the database (idempotent: a re-import updates the same dataset; one transaction per dataset)',
    )
    .addArgument(new Argument('<kind>', 'dataset layout').choices(DATASET_KINDS))
    .argument('<path>', 'ptbxl/cinc: folder, tar archive or PhysioNet .zip; manifest: CSV (path,label[,patient_id,split]) or folder with manifest.csv')
    .option('--name <name>', 'dataset name, the re-import key (default: the path\'s base name)')
    .option('--split <fractions>', 'also split the dataset, train,val,test fractions such as 0.6,0.2,0.2 (patient-grouped, label-stratified; see leadwise split)')
    .option('--seed <n>', 'seed of --split', '1')
    .option('--force', 'with --split: replace the splits the dataset already has')
    .option('--json', 'print the summary as JSON')
    .option('--max-file-mb <n>', 'refuse any file larger than this', String(DEFAULT_IMPORT_LIMITS.maxFileBytes / MIB))
    .option('--max-archive-mb <n>', 'refuse archives holding more than this once extracted', String(DEFAULT_IMPORT_LIMITS.maxArchiveBytes / MIB))
    .option('--max-samples <n>', 'refuse records with more samples per lead than this', String(DEFAULT_IMPORT_LIMITS.maxSamplesPerRecord))
    .addHelpText(
      'after',
      '\nExamples:\n  leadwise import ptbxl ../shared/data/ptbxl --name ptbxl\n  leadwise import cinc ../shared/data/chapman-shaoxing-subset-400.tar.xz --name chapman --split 0.6,0.2,0.2 --seed 1\n',
    )
    .action(async (kind: DatasetKind, path: string, opts: ImportFlags) => {
      const split = opts.split === undefined ? undefined : { ...splitOptionsOf(opts.split, opts.seed), force: opts.force };
      const limits: ImportLimits = {
        maxFileBytes: positiveNumber(opts.maxFileMb, '--max-file-mb') * MIB,
        maxArchiveBytes: positiveNumber(opts.maxArchiveMb, '--max-archive-mb') * MIB,
        maxSamplesPerRecord: positiveNumber(opts.maxSamples, '--max-samples'),
      };
      const handle = await openDatabase();
      // Created once the record count is known (after the tables are read).
      const progressBar: { current: ProgressBar | null } = { current: null };
      try {
        const summary = await importDataset(handle.db, { kind, path, name: opts.name, split, limits }, (progress) => {
          if (progress.phase === 'reading') {
            progressBar.current ??= createProgressBar(`import ${kind}`, progress.total);
            progressBar.current.update(progress.done, progress.total, 'records read');
          } else if (progress.phase === 'writing') {
            progressBar.current?.update(progress.total, progress.total, 'writing');
          }
        });
        progressBar.current?.stop();
        printResult(summary, opts.json, formatSummary);
      } finally {
        progressBar.current?.stop();
        await handle.close();
      }
    });
}

const MIB = 1024 * 1024;

function positiveNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

function formatSummary(s: ImportSummary): string {
  return [
    `imported ${s.imported} records into dataset "${s.name}" (id ${s.datasetId}, ${s.kind}, label rule ${s.labelRule})`,
    `  normal ${s.normal}, abnormal ${s.abnormal}, excluded ${s.excluded}`,
    `  missing files (listed, skipped): ${s.missingFiles}`,
    ...(s.removed || s.keptReferenced ? [`  gone from the source: ${s.removed} removed, ${s.keptReferenced} kept (runs used them)`] : []),
    `  quality flags (limb leads inconsistent): ${s.qualityFlags}`,
    ...(s.split ? [formatSplitSummary(s.split)] : []),
  ].join('\n');
}
