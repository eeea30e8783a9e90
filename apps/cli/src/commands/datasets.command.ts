import type { Command } from 'commander';
import { DatasetStore, openDatabase } from '@leadwise/db';
import { printResult } from '../cli-kit.ts';

interface LabelCounts {
  records: number;
  normal: number;
  abnormal: number;
  excluded: number;
}

interface DatasetOverview extends LabelCounts {
  id: number;
  name: string;
  kind: string;
  sourcePath: string;
  labelRule: string;
  updatedAt: string;
  /** Keyed by split; records without a split under `none`. */
  splits: Record<string, LabelCounts>;
}

export function register(program: Command): void {
  program
    .command('datasets')
    .description('List imported datasets with record and label counts per split')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const handle = await openDatabase();
      try {
        const store = new DatasetStore(handle.db);
        const datasets = await store.list();
        const counts = await store.labelCounts(datasets.map((d) => d.id));
        const overview: DatasetOverview[] = datasets.map((d) => {
          const row: DatasetOverview = {
            id: d.id,
            name: d.name,
            kind: d.kind,
            sourcePath: d.sourcePath,
            labelRule: d.labelRule,
            updatedAt: d.updatedAt.toISOString(),
            ...emptyCounts(),
            splits: {},
          };
          for (const c of counts.filter((c) => c.datasetId === d.id)) {
            const split = (row.splits[c.split ?? 'none'] ??= emptyCounts());
            split[c.label] += c.count;
            split.records += c.count;
            row[c.label] += c.count;
            row.records += c.count;
          }
          return row;
        });
        printResult(overview, opts.json, formatOverview);
      } finally {
        await handle.close();
      }
    });
}

function emptyCounts(): LabelCounts {
  return { records: 0, normal: 0, abnormal: 0, excluded: 0 };
}

function formatOverview(datasets: DatasetOverview[]): string {
  if (datasets.length === 0) return 'no datasets imported yet (see `leadwise import --help`)';
  const lines: string[] = [];
  const row = (cells: (string | number)[]) => cells.map((c, i) => (i === 0 ? String(c).padEnd(14) : String(c).padStart(9))).join(' ');
  for (const d of datasets) {
    lines.push(`${d.name} (id ${d.id}, ${d.kind}, ${d.labelRule}) from ${d.sourcePath}`);
    lines.push(`  ${row(['split', 'records', 'normal', 'abnormal', 'excluded'])}`);
    for (const [split, c] of Object.entries(d.splits)) lines.push(`  ${row([split, c.records, c.normal, c.abnormal, c.excluded])}`);
    lines.push(`  ${row(['all', d.records, d.normal, d.abnormal, d.excluded])}`);
  }
  return lines.join('\n');
}
