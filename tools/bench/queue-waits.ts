/**
 * Where a training step waits for the kernel queue (libs/models kernel-queue.ts): waits per step and
 * their time by the kernel that waited, the dispatcher's busy and idle time, CPU ms and page faults
 * per step, over STEPS steps (default 10) after 3 warm-up steps, and the wasm heap's size at the end.
 * Batch 32, 128x160x1, width 0.25.
 *
 *   LEADWISE_THREADS=2 LEADWISE_KERNEL_QUEUE=1 [LEADWISE_QUEUE_RUN_NOW=0] [STEPS=10] npx tsx tools/bench/queue-waits.ts [resnet18|leadgroup|densenet121|vgg16]
 */
import * as tf from '@tensorflow/tfjs';
import { kernelQueueRanNow, kernelQueueWaits, residentHeapStats, parseInputSize, selectBackend, type Architecture } from '@leadwise/models';
import { loadNativeKernels } from '@leadwise/native-kernels';
import { syntheticTraining } from './synthetic-training.ts';
const architecture = (process.argv[2] ?? 'resnet18') as Architecture;
await selectBackend({});
const { step } = syntheticTraining(architecture, { ...parseInputSize('128x160'), widthMultiplier: 0.25, batchSize: 32 });
for (let i = 0; i < 3; i++) step();
kernelQueueWaits.count = 0;
kernelQueueWaits.ms = 0;
kernelQueueWaits.byReason.clear();
kernelQueueRanNow.count = 0;
const native = loadNativeKernels();
const q0 = native.loaded ? native.kernels.queueTimes() : [0, 0];
if (native.loaded) native.kernels.setKernelProfile(true);
const p0 = native.loaded ? native.kernels.poolStats() : [0, 0, 0, 0];
const n = Number(process.env.STEPS ?? 10);
const t0 = performance.now();
const c0 = process.cpuUsage();
const f0 = process.resourceUsage().minorPageFault;
for (let i = 0; i < n; i++) step();
const wall = (performance.now() - t0) / n;
const c = process.cpuUsage(c0);
const faults = (process.resourceUsage().minorPageFault - f0) / n;
const heapMiB = ((tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.buffer.byteLength ?? 0) / 2 ** 20;
console.log(`${architecture}: ${wall.toFixed(1)} ms/step, CPU ${((c.user + c.system) / 1000 / n).toFixed(1)} ms/step, waits ${(kernelQueueWaits.count / n).toFixed(1)}/step ${(kernelQueueWaits.ms / n).toFixed(1)} ms/step, ${faults.toFixed(0)} page faults/step, wasm heap ${heapMiB.toFixed(0)} MiB (${(residentHeapStats.bytes / 2 ** 20).toFixed(0)} MiB made resident in ${residentHeapStats.calls} calls)`);
const q1 = native.loaded ? native.kernels.queueTimes() : [0, 0];
console.log(`  light kernels run at once beside the queue: ${(kernelQueueRanNow.count / n).toFixed(1)}/step`);
console.log(`  dispatcher: running kernels ${((q1[0] - q0[0]) / n).toFixed(1)} ms/step, idle ${((q1[1] - q0[1]) / n).toFixed(1)} ms/step`);
for (const [k, v] of [...kernelQueueWaits.byReason].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) console.log(`  ${k}: ${(v.count / n).toFixed(1)} waits, ${(v.ms / n).toFixed(1)} ms`);
if (native.loaded) {
  native.kernels.setKernelProfile(false);
  const p1 = native.kernels.poolStats().map((v, i) => (v - p0[i]) / n);
  console.log(`  pool: ${p1[0].toFixed(0)} jobs/step, tasks by the caller ${p1[1].toFixed(0)}, by other threads ${p1[2].toFixed(0)}, jobs the caller ran alone ${p1[3].toFixed(0)}`);
  const rows = native.kernels.kernelProfile().sort((a, b) => b[2] - a[2]);
  const total = rows.reduce((sum, row) => sum + row[2], 0) / n;
  console.log(`  native kernels: ${total.toFixed(1)} ms/step in all`);
  for (const [name, calls, ms] of rows) console.log(`    ${name}: ${(calls / n).toFixed(0)} calls, ${(ms / n).toFixed(2)} ms`);
}
