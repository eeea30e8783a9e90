import { Argument, type Command } from 'commander';
import { openDatabase } from '@leadwise/db';
import { importDataset, type ImportSummary } from '@leadwise/study';
import { createProgressBar, printResult, type ProgressBar } from '../cli-kit.ts';

const KINDS = ['ptbxl', 'cinc', 'manifest'] as const;

export function register(program: Command): void {
  program
    .command('import')
    .description(
      'Import a labelled ECG dataset into the database (idempotent: a re-import updates the same dataset; one transaction per dataset)',
    )
    .addArgument(new Argument('<kind>', 'dataset layout').choices(KINDS))
    .argument('<path>', 'ptbxl/cinc: folder, tar archive or PhysioNet .zip; manifest: CSV (path,label[,patient_id,split]) or folder with manifest.csv')
    .option('--name <name>', 'dataset name, the re-import key (default: the path\'s base name)')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  leadwise import ptbxl ../shared/data/ptbxl --name ptbxl\n  leadwise import cinc ../shared/data/chapman-shaoxing-subset-400.tar.xz --name chapman\n',
    )
    .action(async (kind: (typeof KINDS)[number], path: string, opts: { name?: string; json?: boolean }) => {
      const handle = await openDatabase();
      // Created once the record count is known (after the tables are read).
      const progressBar: { current: ProgressBar | null } = { current: null };
      try {
        const summary = await importDataset(handle.db, { kind, path, name: opts.name }, (progress) => {
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
  ].join('\n');
}
