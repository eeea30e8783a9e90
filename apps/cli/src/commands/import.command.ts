import { Argument, type Command } from 'commander';
import { openDatabase } from '@leadwise/db';
import { importDataset, type ImportSummary } from '@leadwise/study';
import { createProgressBar, printResult, UsageError, type ProgressBar } from '../cli-kit.ts';
import { formatSplitSummary, parseSplitFlags } from './split.command.ts';

const KINDS = ['ptbxl', 'cinc', 'manifest'] as const;

interface ImportFlags {
  name?: string;
  split?: string;
  seed: string;
  force?: boolean;
  json?: boolean;
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
    .addArgument(new Argument('<kind>', 'dataset layout').choices(KINDS))
    .argument('<path>', 'ptbxl/cinc: folder, tar archive or PhysioNet .zip; manifest: CSV (path,label[,patient_id,split]) or folder with manifest.csv')
    .option('--name <name>', 'dataset name, the re-import key (default: the path\'s base name)')
    .option('--split <fractions>', 'also split the dataset, train,val,test fractions such as 0.6,0.2,0.2 (patient-grouped, label-stratified; see leadwise split)')
    .option('--seed <n>', 'seed of --split', '1')
    .option('--force', 'with --split: replace the splits the dataset already has')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  leadwise import ptbxl ../shared/data/ptbxl --name ptbxl\n  leadwise import cinc ../shared/data/chapman-shaoxing-subset-400.tar.xz --name chapman --split 0.6,0.2,0.2 --seed 1\n',
    )
    .action(async (kind: (typeof KINDS)[number], path: string, opts: ImportFlags) => {
      const split = opts.split === undefined ? undefined : { ...splitOptionsOf(opts.split, opts.seed), force: opts.force };
      const handle = await openDatabase();
      // Created once the record count is known (after the tables are read).
      const progressBar: { current: ProgressBar | null } = { current: null };
      try {
        const summary = await importDataset(handle.db, { kind, path, name: opts.name, split }, (progress) => {
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

function formatSummary(s: ImportSummary): string {
  return [
    `imported ${s.imported} records into dataset "${s.name}" (id ${s.datasetId}, ${s.kind}, label rule ${s.labelRule})`,
    `  normal ${s.normal}, abnormal ${s.abnormal}, excluded ${s.excluded}`,
    `  missing files (listed, skipped): ${s.missingFiles}`,
    `  quality flags (limb leads inconsistent): ${s.qualityFlags}`,
    ...(s.split ? [formatSplitSummary(s.split)] : []),
  ].join('\n');
}
