import type { Command } from 'commander';
import { openDatabase } from '@leadwise/db';
import { renderOptionsFromFlags, type RenderFlagValues } from '@leadwise/render';
import { renderDataset } from '@leadwise/study';
import { createProgressBar, printResult } from '../cli-kit.ts';
import { addRenderFlags } from './render-record.command.ts';

export class RenderFlagError extends Error {
  override name = 'RenderFlagError';
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RenderFlagError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

export function register(program: Command): void {
  addRenderFlags(
    program
      .command('render')
      .description('Render every record of an imported dataset to PNG pages with sidecars, on all cores, and record the images in the database')
      .argument('<dataset>', 'dataset name (as imported) or id')
      .requiredOption('--out <dir>', 'folder for the PNG and JSON files'),
  )
    .option('--limit <n>', 'render only the first n records')
    .option('--workers <n>', 'worker threads (default: every core)')
    .option('--style-name <name>', 'name stored for this style (default: derived from the options)')
    .option('--json', 'print JSON')
    .action(async (dataset: string, opts: RenderFlagValues & { out: string; limit?: string; workers?: string; styleName?: string; json?: boolean }) => {
      const options = renderOptionsFromFlags(opts);
      const limit = positiveInt(opts.limit, '--limit');
      const workers = positiveInt(opts.workers, '--workers');
      const handle = await openDatabase();
      const bar = createProgressBar('render', 0);
      try {
        const result = await renderDataset(handle.db, {
          dataset: /^\d+$/.test(dataset) ? Number(dataset) : dataset,
          options,
          styleName: opts.styleName,
          outDir: opts.out,
          limit,
          workers,
          onProgress: (done, total, failed) => bar.update(done, total, failed ? `${failed} failed` : ''),
        });
        bar.stop();
        printResult(result, opts.json, (r) =>
          [
            `rendered ${r.rendered} pages of style ${r.styleName} (id ${r.styleId}) into ${r.outDir}`,
            `${r.pagesPerS.toFixed(1)} pages/s on ${r.workers} worker threads`,
            ...r.failed.slice(0, 10).map((f) => `failed ${f.externalId}: ${f.error}`),
            r.failed.length > 10 ? `... and ${r.failed.length - 10} more failures` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
        if (result.failed.length > 0) process.exitCode = 1;
      } finally {
        bar.stop();
        await handle.close();
      }
    });
}
