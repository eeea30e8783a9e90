import { Option, type Command } from 'commander';
import { DATASET_SPLITS } from '@leadwise/ecg';
import type { SplitSummary } from '@leadwise/study';
import { printResult, UsageError } from '../cli-kit.ts';

interface SplitFlags {
  train: string;
  val: string;
  test: string;
  seed: string;
  by: 'patient' | 'record';
  stratify: 'label' | 'none';
  force?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('split')
    .description('Split an imported dataset into train/val/test: seeded, patient-grouped, label-stratified, stored with its records')
    .argument('<dataset>', 'imported dataset name')
    .option('--train <fraction>', 'share of records for training', '0.6')
    .option('--val <fraction>', 'share of records for validation (early stopping, threshold)', '0.2')
    .option('--test <fraction>', 'share of records for the test set', '0.2')
    .option('--seed <n>', 'seed of the shuffle: the same seed gives the same split', '1')
    .addOption(new Option('--by <unit>', 'keep all records of a patient in one split, or split records alone').choices(['patient', 'record']).default('patient'))
    .addOption(new Option('--stratify <what>', 'keep each label\'s share in every split').choices(['label', 'none']).default('label'))
    .option('--force', 'replace the splits the dataset already has (from its source or an earlier split)')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExample:\n  leadwise split chapman --train 0.6 --val 0.2 --test 0.2 --seed 1\n')
    .action(async (datasetName: string, flags: SplitFlags) => {
      const options = parseSplitFlags(flags);
      const [{ openDatabase }, { splitDataset }] = await Promise.all([import('@leadwise/db'), import('@leadwise/study')]);
      const handle = await openDatabase();
      try {
        const summary = await splitDataset(handle.db, datasetName, { ...options, force: flags.force });
        printResult(summary, flags.json, formatSplitSummary);
      } finally {
        await handle.close();
      }
    });
}

function fraction(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new UsageError(`--${flag} must be a fraction from 0 to 1, got "${text}"`);
  return value;
}

export function parseSplitFlags(flags: Pick<SplitFlags, 'train' | 'val' | 'test' | 'seed' | 'by' | 'stratify'>) {
  const fractions = { train: fraction('train', flags.train), val: fraction('val', flags.val), test: fraction('test', flags.test) };
  const sum = fractions.train + fractions.val + fractions.test;
  if (Math.abs(sum - 1) > 1e-6) throw new UsageError(`--train, --val and --test must sum to 1, got ${Number(sum.toFixed(6))}`);
  return { fractions, seed: seedOf(flags.seed), by: flags.by, stratify: flags.stratify };
}

export function seedOf(text: string): number {
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got "${text}"`);
  return seed;
}

export function formatSplitSummary(s: SplitSummary): string {
  const lines = [
    `split dataset "${s.name}" (seed ${s.seed}, by ${s.by}, stratified by ${s.stratify}; ` +
      `${s.fractions.train}/${s.fractions.val}/${s.fractions.test})${s.changed ? `: ${s.changed} records changed split` : ''}`,
    `  split   normal  abnormal  excluded  patients`,
  ];
  for (const split of DATASET_SPLITS) {
    const n = (label: string) => s.counts.find((c) => c.split === split && c.label === label)?.records ?? 0;
    lines.push(`  ${split.padEnd(6)} ${String(n('normal')).padStart(7)} ${String(n('abnormal')).padStart(9)} ${String(n('excluded')).padStart(9)} ${String(s.patients[split]).padStart(9)}`);
  }
  if (s.patientsInSeveralSplits > 0) lines.push(`  ${s.patientsInSeveralSplits} patients have records in more than one split (--by record)`);
  return lines.join('\n');
}
