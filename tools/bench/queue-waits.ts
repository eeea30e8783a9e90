import * as tf from '@tensorflow/tfjs';
import { createModel, parseInputSize, parseModelConfig, selectBackend, weightedBinaryCrossEntropy, type Architecture } from '@leadwise/models';
import { kernelQueueWaits } from '../../libs/models/src/backend/wasm-kernels/kernel-queue.ts';
const architecture = (process.argv[2] ?? 'resnet18') as Architecture;
await selectBackend({});
const size = parseInputSize('128x160');
const batch = 32;
const network = createModel(parseModelConfig({ architecture, ...size, channels: 1, widthMultiplier: 0.25, seed: 1 }));
const images = new Float32Array(batch * size.inputHeight * size.inputWidth).map((_, i) => ((i * 2654435761) % 1000) / 1000);
const labels = new Float32Array(batch).map((_, i) => i % 2);
const optimizer = tf.train.adam(1e-3);
const step = () => {
  const cost = optimizer.minimize(() => tf.tidy(() => {
    const out = network.model.apply(tf.tensor4d(images, [batch, size.inputHeight, size.inputWidth, 1]), { training: true }) as tf.Tensor;
    const y = tf.tensor2d(labels, [batch, 1]);
    return weightedBinaryCrossEntropy(out, y, tf.onesLike(y));
  }), true);
  cost!.dataSync(); cost!.dispose();
};
for (let i = 0; i < 3; i++) step();
kernelQueueWaits.count = 0; kernelQueueWaits.ms = 0; kernelQueueWaits.byReason.clear();
const n = 10; const t0 = performance.now(); const c0 = process.cpuUsage();
for (let i = 0; i < n; i++) step();
const wall = (performance.now() - t0) / n; const c = process.cpuUsage(c0);
console.log(`${architecture}: ${wall.toFixed(1)} ms/step, CPU ${((c.user + c.system) / 1000 / n).toFixed(1)} ms/step, waits ${(kernelQueueWaits.count / n).toFixed(1)}/step ${(kernelQueueWaits.ms / n).toFixed(1)} ms/step`);
for (const [k, v] of [...kernelQueueWaits.byReason].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.log(`  ${k}: ${(v.count / n).toFixed(1)} waits, ${(v.ms / n).toFixed(1)} ms`);
