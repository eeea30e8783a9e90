/**
 * DenseNet121's 3x3 convolutions at width 0.25 (32 input channels, 8 output channels: the growth
 * rate), one per dense-block map size of a 128x160 input, batch 32: tfjs-wasm's own XNNPACK kernel
 * against the addon's, through tfjs's engine as a training step calls them (output read back each
 * call). Median ms per call over --reps calls after 3 warm-up calls; the kernel queue off.
 *
 *   LEADWISE_THREADS=1 npx tsx tools/bench/conv-narrow.ts [--reps 40]
 */
import * as tf from '@tensorflow/tfjs';
import { loadNativeKernels } from '@leadwise/native-kernels';
import { initWasmBackend, registerWasmTrainingKernels } from '@leadwise/models';

const args = process.argv.slice(2);
const reps = Number(args[args.indexOf('--reps') + 1] || 40);
const status = loadNativeKernels();
if (!status.loaded) throw new Error(status.reason);
await initWasmBackend();
await tf.setBackend('wasm');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

console.log(`threads ${status.kernels.threads()}, ISA ${status.kernels.isa()}`);
for (const [block, h, w] of [
  ['block 1', 32, 40],
  ['block 2', 16, 20],
  ['block 3', 8, 10],
  ['block 4', 4, 5],
] as const) {
  const x = tf.randomUniform([32, h, w, 32], -1, 1, 'float32', 1) as tf.Tensor4D;
  const filter = tf.randomUniform([3, 3, 32, 8], -1, 1, 'float32', 2) as tf.Tensor4D;
  const row: string[] = [];
  // Alternating, twice, so that a slow spell of a shared machine shows as disagreeing rounds.
  for (const engine of ['tfjs-wasm', 'native', 'tfjs-wasm', 'native'] as const) {
    registerWasmTrainingKernels({ native: engine === 'native' ? status.kernels : null, queue: false });
    const call = (): void => {
      const y = tf.conv2d(x, filter, 1, 'same');
      y.dataSync();
      y.dispose();
    };
    for (let i = 0; i < 3; i++) call();
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      call();
      times.push(performance.now() - t0);
    }
    row.push(`${engine} ${median(times).toFixed(3)}`);
  }
  console.log(`${block} ${h}x${w}x32 -> 8: ${row.join('  ')} ms`);
  tf.dispose([x, filter]);
}
