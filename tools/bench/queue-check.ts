import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { BOX_COUNT, LEAD_COUNT, RHYTHM_BOX, createModel, selectLeadBoxes, parseInputSize, parseModelConfig, selectBackend, backendEngineName, type Architecture, weightedBinaryCrossEntropy } from '@leadwise/models';
const args = process.argv.slice(2);
const opt = (n: string, f: string) => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : f; };
const architecture = opt('model', 'resnet18') as Architecture;
const size = parseInputSize(opt('input', '128x160'));
const batch = Number(opt('batch', '32'));
const steps = Number(opt('steps', '3'));
console.log(backendEngineName(await selectBackend({})));
const config = parseModelConfig({ architecture, ...size, channels: 1, widthMultiplier: 0.25, seed: 1 });
const network = createModel(config);
const images = new Float32Array(batch * size.inputHeight * size.inputWidth).map((_, i) => ((i * 2654435761) % 1000) / 1000);
const labels = new Float32Array(batch).map((_, i) => i % 2);
const optimizer = tf.train.adam(1e-3);
const trainable = network.model.trainableWeights.map((w) => w.read() as tf.Variable);
const layoutBoxes = new Float32Array(BOX_COUNT * 4);
for (let lead = 0; lead < LEAD_COUNT; lead++) { const c = Math.floor(lead / 3), r = lead % 3; layoutBoxes.set([c * 0.25, r * 0.2, (c + 1) * 0.25, (r + 1) * 0.2], lead * 4); }
layoutBoxes.set([0, 0.6, 1, 0.8], RHYTHM_BOX * 4);
const boxes = new Float32Array(batch * BOX_COUNT * 4);
for (let b = 0; b < batch; b++) boxes.set(layoutBoxes, b * BOX_COUNT * 4);
const modelBoxes = network.usesLeadBoxes ? selectLeadBoxes(boxes, batch, network.leadBoxCount) : boxes;
const times: number[] = [];
for (let s = 0; s < steps; s++) {
  const t0 = performance.now();
  const cost = optimizer.minimize(() => tf.tidy(() => {
    const image = tf.tensor4d(images, [batch, size.inputHeight, size.inputWidth, 1]);
    const inputs = network.usesLeadBoxes ? [image, tf.tensor3d(modelBoxes, [batch, network.leadBoxCount, 4])] : image;
    const out = network.model.apply(inputs, { training: true }) as tf.Tensor | tf.Tensor[];
    const y = tf.tensor2d(labels, [batch, 1]);
    return weightedBinaryCrossEntropy(Array.isArray(out) ? out[0] : out, y, tf.onesLike(y));
  }), true, trainable);
  cost!.dataSync(); cost!.dispose();
  times.push(performance.now() - t0);
}
const h = createHash('sha256');
for (const w of network.model.weights) h.update(Buffer.from((w.read().dataSync() as Float32Array).buffer));
console.log(architecture, 'hash', h.digest('hex').slice(0, 16), 'ms', times.map((t) => t.toFixed(0)).join(' '), 'tensors', tf.memory().numTensors);
