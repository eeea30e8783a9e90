import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { openDatabase } from '@leadwise/db';
import { ARCHITECTURES, BACKBONES, DATA_PARALLEL_ENV_VAR, parseDataParallel, LEAD_GROUP_HEADS, parseInputSize, TRAINING_PROFILES, type Backbone, type LeadGroupHead, type TrainingProfile } from '@leadwise/models';
import { PAGE_GRID_STYLES, PAGE_STYLES, type PageStyle } from '@leadwise/render';
import { trainRun, trainRunsInParallel, type TrainOverrides, type TrainRunResult, type TrainRunSpec } from '@leadwise/study';
import { createProgressBar, formatSeconds, printResult, UsageError, type ProgressBar } from '../cli-kit.ts';

interface TrainFlags {
  model: string;
  dataset: string;
  seed: string;
  profile: TrainingProfile;
  epochs?: string;
  batch?: string;
  lr?: string;
  input?: string;
  width?: string;
  outputStride?: string;
  backbone?: Backbone;
  leadGroupHead?: LeadGroupHead;
  maxTrain?: string;
  maxVal?: string;
  maxTest?: string;
  style?: PageStyle;
  augment?: boolean;
  groupTargets?: boolean;
  resume?: boolean;
  processes?: string;
  dataParallel?: string;
  json?: boolean;
}

function parseList<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item as T)) throw new UsageError(`--${flag} "${item}" is not one of ${allowed.join(', ')}`);
  return items as T[];
}

function parseSeeds(text: string): number[] {
  return text.split(',').map((part) => {
    const seed = Number(part.trim());
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be non-negative integers separated by commas, got "${text}"`);
    return seed;
  });
}

function positiveNumber(name: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"`);
  }
  return value;
}

export function register(program: Command): void {
  program
    .command('train')
    .description('Train one image classifier on a dataset\'s train split, early-stopped on val, scored on test; stored as a run')
    .requiredOption('--model <models>', `architecture, or several separated by commas: ${ARCHITECTURES.join(', ')}`)
    .requiredOption('--dataset <name>', 'imported dataset name (its records\' train/val/test splits are used)')
    .option('--seed <n>', 'seed of initial weights, data order and augmentation; several separated by commas', '1')
    .addOption(new Option('--profile <profile>', 'size preset').choices(TRAINING_PROFILES).default('quick'))
    .option('--epochs <n>', 'maximum epochs (profile default otherwise)')
    .option('--batch <n>', 'batch size')
    .option('--lr <x>', 'peak learning rate of Adam (after warm-up)')
    .option('--input <HxW>', 'model input size in pixels, e.g. 128x160')
    .option('--width <x>', 'width multiplier of the backbone (1 = the paper\'s network)')
    .addOption(new Option('--backbone <name>', 'LeadGroupECG backbone').choices(BACKBONES))
    .addOption(
      new Option('--lead-group-head <head>', 'LeadGroupECG head: residual (backbone + zero-initialised lead-group branch) or paper (published)').choices(LEAD_GROUP_HEADS),
    )
    .addOption(new Option('--output-stride <n>', 'downsampling of the last feature map (16: ResNet18 last stage at stride 1)').choices(['16', '32']))
    .option('--max-train <n>', 'cap on training records (stratified subset)')
    .option('--max-val <n>', 'cap on validation records (stratified subset)')
    .option('--max-test <n>', 'cap on test records scored at the end (stratified subset)')
    .addOption(new Option('--style <style>', 'page background of the training images').choices(PAGE_STYLES).default('grid'))
    .option('--augment', 'draw training pages with the default augmentations (rotation, blur, noise, ...; profile default otherwise: on only at paper)')
    .option('--no-augment', 'draw training pages exactly as evaluation draws them')
    .option('--group-targets', 'also learn, per lead group, whether a PTB-XL statement is localised there (auxiliary targets at 0.3 of the loss; PTB-XL only)')
    .option('--resume', 'continue the latest unfinished run of this model, dataset and seed from its last checkpoint')
    .option('--processes <n>', 'several runs (models x seeds) train in this many processes at once (PostgreSQL only; default: one per core)', String(availableParallelism()))
    .option(
      '--data-parallel <n>',
      'train each run over n replicas, one a thread, each on its share of every batch (sets LEADWISE_DATA_PARALLEL; default 1)',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nProfiles: quick (minutes, smoke), standard (one run <= 15 min on one core), paper (full size, for a GPU).\n' +
        'Backend: the fastest available (tfjs-node-gpu, tfjs-node, wasm, cpu); LEADWISE_BACKEND forces one.\n\n' +
        'Several models or seeds train as independent runs in parallel processes (one per core).\n\n' +
        'Examples:\n  leadwise train --model leadgroup --dataset ptbxl --seed 1 --profile standard\n' +
        '  leadwise train --model leadgroup,resnet18 --dataset ptbxl --seed 1 --profile standard --processes 2\n' +
        '  leadwise train --model resnet18 --dataset ptbxl --seed 1 --profile standard --data-parallel 2\n',
    )
    .action(async (flags: TrainFlags) => {
      if (flags.dataParallel !== undefined) {
        // The trainer reads it, in this process and in the processes of parallel runs.
        process.env[DATA_PARALLEL_ENV_VAR] = String(usage(() => parseDataParallel(flags.dataParallel, '--data-parallel')));
      }
      const models = parseList('model', flags.model, ARCHITECTURES);
      const seeds = parseSeeds(flags.seed);
      const size = flags.input ? parseInputSize(flags.input) : {};
      const overrides: TrainOverrides = {
        epochs: positiveNumber('epochs', flags.epochs, true),
        batchSize: positiveNumber('batch', flags.batch, true),
        learningRate: positiveNumber('lr', flags.lr, false),
        widthMultiplier: positiveNumber('width', flags.width, false),
        maxTrainSamples: positiveNumber('max-train', flags.maxTrain, true),
        maxValSamples: positiveNumber('max-val', flags.maxVal, true),
        maxTestSamples: positiveNumber('max-test', flags.maxTest, true),
        backbone: flags.backbone,
        leadGroupHead: flags.leadGroupHead,
        outputStride: flags.outputStride === '16' ? 16 : flags.outputStride === '32' ? 32 : undefined,
        gridStyle: PAGE_GRID_STYLES[flags.style ?? 'grid'],
        augment: flags.augment,
        groupTargets: flags.groupTargets,
        ...size,
      };
      for (const key of Object.keys(overrides) as (keyof TrainOverrides)[]) if (overrides[key] === undefined) delete overrides[key];
      if (models.length * seeds.length > 1) {
        const specs: TrainRunSpec[] = models.flatMap((model) =>
          seeds.map((seed) => ({ model, dataset: flags.dataset, seed, profile: flags.profile, overrides, resume: flags.resume })),
        );
        const processes = positiveNumber('processes', flags.processes, true) ?? 2;
        const results = await trainRunsInParallel(specs, {
          processes,
          onEpoch: (spec, m) =>
            process.stderr.write(`${spec.model} seed ${spec.seed} epoch ${m.epoch}: loss ${m.trainLoss.toFixed(4)} val ROC-AUC ${m.valRocAuc.toFixed(4)}\n`),
        });
        printResult(results, flags.json, (rs) => rs.map(formatResult).join('\n'));
        return;
      }
      const [model] = models;
      const [seed] = seeds;
      const handle = await openDatabase();
      let bar: ProgressBar | null = null;
      try {
        const result = await trainRun(handle.db, {
          model,
          dataset: flags.dataset,
          seed,
          profile: flags.profile,
          overrides,
          resume: flags.resume,
          onPhase: (phase, detail) => {
            if (phase !== 'training') {
              bar?.stop();
              bar = null;
            }
            process.stderr.write(`train: ${phase}${detail ? ` ${detail}` : ''}\n`);
          },
          onBatch: (progress) => {
            bar ??= createProgressBar(`train ${model}`, progress.totalSteps);
            bar.update(progress.step, progress.totalSteps, `epoch ${progress.epoch} loss ${progress.loss.toFixed(3)}`);
          },
          onEpoch: (m) => {
            process.stderr.write(
              `\nepoch ${m.epoch}: loss ${m.trainLoss.toFixed(4)} val loss ${m.valLoss.toFixed(4)} ` +
                `val ROC-AUC ${m.valRocAuc.toFixed(4)} PR-AUC ${m.valPrAuc.toFixed(4)} (${formatSeconds(m.trainSeconds)} + ${formatSeconds(m.valSeconds)})\n`,
            );
          },
        });
        (bar as ProgressBar | null)?.stop();
        printResult(result, flags.json, formatResult);
      } finally {
        (bar as ProgressBar | null)?.stop();
        await handle.close();
      }
    });
}

function formatResult(r: TrainRunResult): string {
  return [
    `run ${r.runId} (experiment ${r.experimentId}): ${r.model} seed ${r.seed} on ${r.backend}, ${r.epochs.length} epochs, best ${r.bestEpoch}${r.stoppedEarly ? ' (stopped early)' : ''}`,
    `  val  ROC-AUC ${r.val.rocAuc.toFixed(4)}  PR-AUC ${r.val.prAuc.toFixed(4)}  (n=${r.val.n})`,
    r.test ? `  test ROC-AUC ${r.test.rocAuc.toFixed(4)}  PR-AUC ${r.test.prAuc.toFixed(4)}  (n=${r.test.n})` : '  test: no test split',
    `  ${r.trainImagesPerS.toFixed(1)} training images/s, wall ${formatSeconds(r.wallSeconds)}`,
    `  checkpoint ${r.checkpointUri}`,
  ].join('\n');
}

function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
