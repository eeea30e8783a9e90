/**
 * Training and inference throughput (images/s) of the four architectures at a profile's input size
 * and width (issue 9), on the selected backend. Pixels are synthetic (a fixed pseudo-random page) so
 * that the number is the network's cost alone; rendering is measured by the render benchmarks.
 * Each architecture: --warmup steps, then the median of --steps training steps (forward, backward,
 * Adam update with the trainer's own loss) and of --steps inference batches.
 *
 *   npx tsx tools/bench/train-throughput.ts [--profile quick|standard|paper] [--models leadgroup,resnet18,...]
 *       [--input HxW] [--width W] [--batch N] [--steps 5] [--warmup 1] [--backend wasm|cpu] [--json]
 *       [--data-parallel N]
 *
 * --data-parallel N trains each step over N replicas (the caller and N - 1 worker threads, see
 * @leadwise/models' data-parallel.ts); CPU time is then the whole process's, every thread's.
 */
import {
  ARCHITECTURES,
  countTrainableParams,
  parseInputSize,
  predictHostBatch,
  PROFILE_SETTINGS,
  backendEngineName,
  DataParallelGroup,
  parseDataParallel,
  ScheduledAdam,
  selectBackend,
  type Architecture,
  type BackendName,
  type TrainingProfile,
} from '@leadwise/models';
import { syntheticTraining } from './synthetic-training.ts';

interface Options {
  profile: TrainingProfile;
  models: Architecture[];
  input?: string;
  width?: number;
  batch?: number;
  steps: number;
  warmup: number;
  backend?: BackendName;
  json: boolean;
  dataParallel: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { profile: 'standard', models: [...ARCHITECTURES], steps: 5, warmup: 1, json: false, dataParallel: 1 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--profile') options.profile = value() as TrainingProfile;
    else if (arg === '--models') options.models = value().split(',') as Architecture[];
    else if (arg === '--input') options.input = value();
    else if (arg === '--width') options.width = Number(value());
    else if (arg === '--batch') options.batch = Number(value());
    else if (arg === '--steps') options.steps = Number(value());
    else if (arg === '--warmup') options.warmup = Number(value());
    else if (arg === '--backend') options.backend = value() as BackendName;
    else if (arg === '--json') options.json = true;
    else if (arg === '--data-parallel') options.dataParallel = parseDataParallel(value(), '--data-parallel') ?? 1;
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const backend = backendEngineName(await selectBackend({ prefer: options.backend }));
  const settings = PROFILE_SETTINGS[options.profile];
  const size = options.input ? parseInputSize(options.input) : { inputHeight: settings.inputHeight, inputWidth: settings.inputWidth };
  const widthMultiplier = options.width ?? settings.widthMultiplier;
  const batchSize = options.batch ?? settings.batchSize;
  const rows = [];
  for (const architecture of options.models) {
    // The profile's VGG16 variant (batch norm at quick and standard), as training builds it.
    const batchOptions = { ...size, widthMultiplier, batchSize, vggBatchNorm: settings.vggBatchNorm };
    const scheduledAdam = options.dataParallel > 1 ? new ScheduledAdam(1e-3) : null;
    // tfjs's default Adam where one process trains (synthetic-training.ts); the trainer's Adam
    // (epsilon 1e-8) where replicas train.
    const synthetic = syntheticTraining(architecture, batchOptions);
    const { network, images, boxes, labels } = synthetic;
    const group = scheduledAdam
      ? await DataParallelGroup.start(network, scheduledAdam, { classWeights: { normal: 1, abnormal: 1 }, groupTargetWeight: 0 }, { replicas: options.dataParallel })
      : null;
    let stepsTaken = 0;
    const trainStep = async (): Promise<void> => {
      if (group) {
        const batch = { size: batchSize, images, leadBoxes: boxes, labels, groupTargets: null };
        await group.step(batch, { epoch: 0, batchIndex: stepsTaken, stepsBefore: stepsTaken, learningRate: 1e-3 });
        stepsTaken += 1;
        return;
      }
      synthetic.step();
    };
    // CPU time beside wall time: on a shared machine the process gets a fraction of a core, and
    // images per CPU-second is what one free core would deliver.
    const trainMs: number[] = [];
    const trainCpuMs: number[] = [];
    for (let i = 0; i < options.warmup + options.steps; i++) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      await trainStep();
      const cpu = process.cpuUsage(cpu0);
      if (i >= options.warmup) {
        trainMs.push(performance.now() - t0);
        trainCpuMs.push((cpu.user + cpu.system) / 1000);
      }
    }
    const inferMs: number[] = [];
    for (let i = 0; i < options.warmup + options.steps; i++) {
      const t0 = performance.now();
      predictHostBatch(network, { size: batchSize, images, leadBoxes: boxes });
      if (i >= options.warmup) inferMs.push(performance.now() - t0);
    }
    const row = {
      architecture,
      backend,
      input: `${size.inputHeight}x${size.inputWidth}x1`,
      widthMultiplier,
      batchSize,
      dataParallel: options.dataParallel,
      trainableParams: countTrainableParams(network.model),
      trainStepMs: Math.round(median(trainMs)),
      trainImagesPerS: +((1000 * batchSize) / median(trainMs)).toFixed(1),
      trainCpuMsPerStep: Math.round(median(trainCpuMs)),
      trainImagesPerCpuS: +((1000 * batchSize) / median(trainCpuMs)).toFixed(1),
      inferBatchMs: Math.round(median(inferMs)),
      inferImagesPerS: +((1000 * batchSize) / median(inferMs)).toFixed(1),
    };
    await group?.close();
    rows.push(row);
    if (!options.json) console.log(JSON.stringify(row));
    synthetic.dispose();
    scheduledAdam?.dispose();
  }
  if (options.json) console.log(JSON.stringify(rows, null, 2));
}

await main();
