/**
 * One run's training rate on one core, one thread and two threads, measured in one process in
 * alternating blocks, so that every configuration sees the same machine (on this project's VMs the
 * same configuration varies by up to 25% from one minute to the next, and separate processes a
 * minute apart do not compare; issue 14). Configurations:
 *
 *   1core   one thread, the whole process held to CPU 0 (`taskset -a -p -c 0`: V8's collector and
 *           compiler threads share that core too)
 *   1thread one thread, the process free on every CPU (V8's threads use the others)
 *   2thread two threads with the kernel queue (the default for a run given two cores), process free
 *
 * Each block runs --block steps of one configuration; the first step of a block is a warm-up and is
 * not counted. Blocks cycle through the configurations --rounds times. Prints the median step per
 * configuration and, per round, the two-thread rate against each one-thread rate of that round
 * (paired), then their medians. Linux only (taskset); synthetic batch as train-throughput.ts.
 *
 *   npx tsx tools/bench/core-scaling.ts --model resnet18 [--rounds 6] [--block 4] [--profile standard]
 *       [--input 128x160] [--width 0.25] [--json]
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import {
  backendEngineName,
  parseInputSize,
  PROFILE_SETTINGS,
  registerWasmTrainingKernels,
  selectBackend,
  type Architecture,
  type TrainingProfile,
} from '@leadwise/models';
import { loadNativeKernels } from '@leadwise/native-kernels';
import { syntheticTraining } from './synthetic-training.ts';
import { benchOption } from './bench-args.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => benchOption(name, fallback, args);
const architecture = opt('model', 'resnet18') as Architecture;
const rounds = Number(opt('rounds', '6'));
const block = Number(opt('block', '4'));
const settings = PROFILE_SETTINGS[opt('profile', 'standard') as TrainingProfile];
const size = parseInputSize(opt('input', `${settings.inputHeight}x${settings.inputWidth}`));
const widthMultiplier = Number(opt('width', String(settings.widthMultiplier)));
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(block) || block < 2) throw new Error('--rounds must be at least 1 and --block at least 2');

const engine = backendEngineName(await selectBackend({}));
const status = loadNativeKernels();
if (!status.loaded) throw new Error(`core-scaling compares the native kernels' thread counts; they are not loaded: ${status.reason}`);
const native = status.kernels;
const allCpus = `0-${cpus().length - 1}`;

type Configuration = '1core' | '1thread' | '2thread';
const configurations: Configuration[] = ['1core', '1thread', '2thread'];

function hold(cpuList: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(process.pid)], { stdio: 'ignore' });
}

function use(configuration: Configuration): void {
  registerWasmTrainingKernels({ queue: false });
  if (configuration === '2thread') {
    hold(allCpus);
    native.setThreads(2);
    registerWasmTrainingKernels({ queue: true });
  } else {
    native.setThreads(1);
    hold(configuration === '1core' ? '0' : allCpus);
  }
}

const training = syntheticTraining(architecture, { ...size, widthMultiplier, batchSize: settings.batchSize, vggBatchNorm: settings.vggBatchNorm });
for (const configuration of configurations) {
  use(configuration);
  training.step();
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const stepMs: Record<Configuration, number[]> = { '1core': [], '1thread': [], '2thread': [] };
const perRound: Record<Configuration, number>[] = [];
for (let round = 0; round < rounds; round++) {
  const medians = {} as Record<Configuration, number>;
  // Each round starts with a different configuration, so that none always follows another.
  for (let k = 0; k < configurations.length; k++) {
    const configuration = configurations[(round + k) % configurations.length];
    use(configuration);
    const times: number[] = [];
    for (let i = 0; i < block; i++) {
      const t0 = performance.now();
      training.step();
      if (i > 0) times.push(performance.now() - t0);
    }
    stepMs[configuration].push(...times);
    medians[configuration] = median(times);
  }
  perRound.push(medians);
  process.stderr.write(`round ${round + 1}/${rounds}: ${configurations.map((c) => `${c} ${medians[c].toFixed(1)} ms`).join(', ')}\n`);
}
use('2thread');
training.dispose();

const imagesPerS = (ms: number): number => +((1000 * settings.batchSize) / ms).toFixed(1);
const against = (other: Configuration): number[] => perRound.map((r) => +(r[other] / r['2thread']).toFixed(3));
const result = {
  architecture,
  engine,
  cpu: cpus()[0]?.model ?? 'unknown',
  input: `${size.inputHeight}x${size.inputWidth}x1`,
  widthMultiplier,
  batchSize: settings.batchSize,
  rounds,
  block,
  imagesPerS: Object.fromEntries(configurations.map((c) => [c, imagesPerS(median(stepMs[c]))])),
  twoThreadsOverOneCore: against('1core'),
  twoThreadsOverOneThread: against('1thread'),
  medianTwoThreadsOverOneCore: +median(against('1core')).toFixed(3),
  medianTwoThreadsOverOneThread: +median(against('1thread')).toFixed(3),
};
if (args.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`${architecture} (${engine}, ${result.cpu}): img/s ${configurations.map((c) => `${c} ${result.imagesPerS[c]}`).join(', ')}`);
  console.log(`  2 threads / 1 core, per round: ${result.twoThreadsOverOneCore.join(' ')} (median ${result.medianTwoThreadsOverOneCore})`);
  console.log(`  2 threads / 1 thread, per round: ${result.twoThreadsOverOneThread.join(' ')} (median ${result.medianTwoThreadsOverOneThread})`);
}
