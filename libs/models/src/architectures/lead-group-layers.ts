import * as tf from '@tensorflow/tfjs';
import { MASKED_MAX_POOL, MASKED_MAX_POOL_GRAD, maskedMaxPoolAvailable } from '../backend/wasm-kernels/masked-max-pool.ts';

type Shape = tf.Shape;

/**
 * Average-pools a feature map inside each lead's box.
 *
 * Inputs: feature map [B, h, w, C] and lead boxes [B, L, 4] normalised [x0, y0, x1, y1] (L = 13:
 * the 12 panels and the rhythm strip). Output: [B, L, C].
 *
 * Each feature cell (i, j) covers [j/w, (j+1)/w] x [i/h, (i+1)/h] of the image; its weight for a box
 * is the fraction of the cell the box covers, so boxes smaller than a cell still pool something and
 * the pooled value is the area-weighted mean. In graph terms (what an ONNX export must reproduce):
 *   ox[b,l,j] = relu(min(x1[b,l], (j+1)/w) - max(x0[b,l], j/w)) * w      (same for oy with h)
 *   mask[b,l,i*w+j] = oy[b,l,i] * ox[b,l,j];  mask /= (sum_k mask[b,l,k] + 1e-9)
 *   out[b] = mask[b] (L x hw)  @  features[b] (hw x C)
 */
export class LeadPooling extends tf.layers.Layer {
  static readonly className = 'LeadwiseLeadPooling';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [featureShape] = inputShape as Shape[];
    const [, boxShape] = inputShape as Shape[];
    return [featureShape[0], boxShape[1], featureShape[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [features, boxes] = inputs as tf.Tensor[];
    return tf.tidy(() => {
      const [batch, height, width, channels] = features.shape as number[];
      const mask = leadMasks(boxes as tf.Tensor3D, height, width);
      return tf.matMul(mask, features.reshape([batch, height * width, channels]));
    });
  }
}
tf.serialization.registerClass(LeadPooling);

/**
 * Per-box pooling weights [B, L, h*w] for a feature map of h x w cells (rows sum to 1), computed on
 * the host from the boxes' values: they are an input of the model, never a result of a kernel,
 * and the forty-odd tiny tfjs ops of the graph form (the formula above) ran one after another on
 * the JS thread, each a wait for the kernel queue (issue 14). Every operation is rounded to float32
 * in the graph's order (the row sum in cell order); the ONNX export keeps the graph form.
 */
export function leadMaskValues(boxes: Float32Array, batch: number, leads: number, height: number, width: number): Float32Array {
  const f = Math.fround;
  const cells = height * width;
  const coverage = (lo: number, hi: number, n: number, out: Float32Array): void => {
    for (let i = 0; i < n; i++) {
      const overlap = f(Math.min(hi, f((i + 1) / n)) - Math.max(lo, f(i / n)));
      out[i] = f((overlap > 0 ? overlap : 0) * n);
    }
  };
  const ox = new Float32Array(width);
  const oy = new Float32Array(height);
  const mask = new Float32Array(batch * leads * cells);
  for (let row = 0; row < batch * leads; row++) {
    const [x0, y0, x1, y1] = boxes.subarray(row * 4, row * 4 + 4);
    coverage(x0, x1, width, ox);
    coverage(y0, y1, height, oy);
    const base = row * cells;
    let sum = 0;
    for (let i = 0; i < height; i++) {
      for (let j = 0; j < width; j++) {
        const m = f(oy[i] * ox[j]);
        mask[base + i * width + j] = m;
        sum += m;
      }
    }
    const total = f(f(sum) + f(1e-9));
    for (let k = 0; k < cells; k++) mask[base + k] = f(mask[base + k] / total);
  }
  return mask;
}

/** leadMaskValues as a tensor [B, L, h*w]. */
export function leadMasks(boxes: tf.Tensor3D, height: number, width: number): tf.Tensor3D {
  const [batch, leads] = boxes.shape;
  return tf.tensor3d(leadMaskValues(boxes.dataSync() as Float32Array, batch, leads, height, width), [batch, leads, height * width]);
}

export interface GroupAggregationArgs {
  name?: string;
  /** [groups][leads] weights; row g averages the leads of group g. */
  membership: number[][];
}

/** Mean of the lead features in each anatomical group: [B, 12, C] -> [B, 5, C] (a fixed matmul). */
export class GroupAggregation extends tf.layers.Layer {
  static readonly className = 'LeadwiseGroupAggregation';
  readonly membership: number[][];

  constructor(args: GroupAggregationArgs) {
    super({ name: args.name });
    this.membership = args.membership;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = inputShape as Shape;
    return [shape[0], this.membership.length, shape[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const leadFeatures = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    return tf.tidy(() => {
      const [batch, leads, channels] = leadFeatures.shape;
      const membership = tf.tensor2d(this.membership); // [G, 12]
      // [G, 12] @ [12, B*C] avoids a batched matmul with a broadcast operand.
      const flat = leadFeatures.transpose([1, 0, 2]).reshape([leads, batch * channels]);
      return tf.matMul(membership, flat).reshape([this.membership.length, batch, channels]).transpose([1, 0, 2]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), membership: this.membership };
  }
}
tf.serialization.registerClass(GroupAggregation);

export interface GroupAttentionArgs {
  name?: string;
  units: number;
  seed: number;
}

/**
 * Additive attention over the groups (Bahdanau-style): score_g = v . tanh(W f_g + b),
 * a = softmax_g(score), context = sum_g a_g f_g. Outputs [context [B, C], attention [B, G]].
 */
export class GroupAttention extends tf.layers.Layer {
  static readonly className = 'LeadwiseGroupAttention';
  readonly units: number;
  readonly seed: number;
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;
  private scoreVector!: tf.LayerVariable;

  constructor(args: GroupAttentionArgs) {
    super({ name: args.name });
    this.units = args.units;
    this.seed = args.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    const channels = (inputShape as Shape)[2] as number;
    this.kernel = this.addWeight('kernel', [channels, this.units], 'float32', tf.initializers.glorotUniform({ seed: this.seed }));
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
    this.scoreVector = this.addWeight('score', [this.units, 1], 'float32', tf.initializers.glorotUniform({ seed: this.seed + 1 }));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const shape = inputShape as Shape;
    return [
      [shape[0], shape[2]],
      [shape[0], shape[1]],
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const groupFeatures = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    return tf.tidy(() => {
      const [batch, groups, channels] = groupFeatures.shape;
      const flat = groupFeatures.reshape([batch * groups, channels]);
      const hidden = tf.tanh(tf.matMul(flat, this.kernel.read()).add(this.bias.read()));
      const scores = tf.matMul(hidden, this.scoreVector.read()).reshape([batch, groups]);
      const attention = tf.softmax(scores, -1);
      const context = attention.expandDims(2).mul(groupFeatures).sum(1);
      return [context, attention];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, seed: this.seed };
  }
}
tf.serialization.registerClass(GroupAttention);

/**
 * Added to uncovered cells before the max so that they never win; finite (not -Infinity) so that
 * the masked values and their gradients stay finite.
 */
export const UNCOVERED_CELL_PENALTY = 1e9;

/**
 * Max-pools a feature map over the cells each lead box covers (mask > 0 in leadMasks), so a sharp
 * local deflection (a Q wave, an ST elevation) is not averaged away with the rest of the panel.
 * Inputs and output as LeadPooling. In graph terms:
 *   covered[b,l,k] = mask[b,l,k] > 0
 *   out[b,l,c] = max_k (features[b,k,c] - (1 - covered[b,l,k]) * 1e9) * (any_k covered[b,l,k])
 * A box that covers no cell (outside the image) pools 0 rather than -1e9.
 *
 * The gradient goes to the first maximal cell (as PyTorch's max), scattered back with ScatterNd.
 * tfjs's own Max gradient compares every masked value with the max (Equal over [B, L, hw, C]),
 * which on the wasm backend cost 340 ms of a 32-image step against 7 ms for this forward pass.
 */
export class LeadMaxPooling extends tf.layers.Layer {
  static readonly className = 'LeadwiseLeadMaxPooling';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [featureShape, boxShape] = inputShape as Shape[];
    return [featureShape[0], boxShape[1], featureShape[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [features, boxes] = inputs as tf.Tensor[];
    return tf.tidy(() => {
      const [batch, height, width, channels] = features.shape as number[];
      const leads = boxes.shape[1] as number;
      const cells = height * width;
      // From the host's mask values (leadMaskValues): covered = mask > 0, the penalty (covered - 1) *
      // 1e9 and whether a box covers any cell, as the graph form's Greater, Sub, Mul and Max give them.
      const mask = leadMaskValues(boxes.dataSync() as Float32Array, batch, leads, height, width);
      const penaltyValues = mask.map((m) => (m > 0 ? 0 : -UNCOVERED_CELL_PENALTY));
      const anyValues = new Float32Array(batch * leads);
      for (let row = 0; row < batch * leads; row++) {
        for (let k = row * cells; k < (row + 1) * cells; k++) if (mask[k] > 0) anyValues[row] = 1;
      }
      const penalty = tf.tensor4d(penaltyValues, [batch, leads, 1, cells]);
      const anyCovered = tf.tensor3d(anyValues, [batch, leads, 1]); // [B, L, 1]
      if (maskedMaxPoolAvailable(tf.getBackend())) {
        // The same pooling as below in one native kernel and its gradient (masked-max-pool.ts).
        const fused = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
          const [x, cellPenalty, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
          const [value, winner] = tf.engine().runKernel(MASKED_MAX_POOL, {
            features: x.reshape([batch, cells, channels]),
            penalty: cellPenalty.reshape([batch, leads, cells]),
          }) as tf.Tensor[];
          save([winner]);
          return {
            value,
            gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
              const dx = tf.engine().runKernel(MASKED_MAX_POOL_GRAD, { dy: dy as tf.Tensor, winner: saved[0] }, { cells }) as tf.Tensor;
              return [dx.reshape(x.shape), tf.zerosLike(cellPenalty)];
            },
          };
        });
        return fused(features, penalty).mul(anyCovered);
      }
      // Cells innermost, so that ArgMax and Max reduce the innermost axis (their fast case on wasm).
      const maskedMax = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
        const [x, cellPenalty, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
        const byChannel = x.reshape([batch, cells, channels]).transpose([0, 2, 1]).reshape([batch, 1, channels, cells]);
        const masked = byChannel.add(cellPenalty); // [B, L, C, hw]
        const winner = tf.argMax(masked, 3); // [B, L, C]
        save([winner]);
        return {
          value: masked.max(3),
          gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
            const [argmax] = saved;
            // Flat position of each winning cell in a [B, C, hw] buffer: (b * C + c) * hw + k.
            const rowStart = tf.tensor3d(
              Int32Array.from({ length: batch * channels }, (_, i) => i * cells),
              [batch, 1, channels],
              'int32',
            );
            const positions = argmax.add(rowStart).reshape([batch * leads * channels, 1]);
            const upstream = (dy as tf.Tensor).reshape([batch * leads * channels]);
            // ScatterNd sums the updates of leads that share a winning cell.
            const dCells = tf.scatterND(positions, upstream, [batch * channels * cells]);
            const dx = dCells.reshape([batch, channels, cells]).transpose([0, 2, 1]).reshape(x.shape);
            return [dx, tf.zerosLike(cellPenalty)];
          },
        };
      });
      return maskedMax(features, penalty).mul(anyCovered);
    });
  }
}
tf.serialization.registerClass(LeadMaxPooling);

export interface LeadEmbeddingArgs {
  name?: string;
  seed: number;
}

/**
 * Adds a learned vector per lead box to its token ([B, L, d] + [L, d]), so that after the
 * self-attention mixes the tokens each one still says which lead it is. Initialised N(0, 0.02) as
 * BERT's position embeddings, small beside the projected features.
 */
export class LeadEmbedding extends tf.layers.Layer {
  static readonly className = 'LeadwiseLeadEmbedding';
  readonly seed: number;
  private embedding!: tf.LayerVariable;

  constructor(args: LeadEmbeddingArgs) {
    super({ name: args.name });
    this.seed = args.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    const [, leads, units] = inputShape as Shape;
    this.embedding = this.addWeight(
      'embedding',
      [leads as number, units as number],
      'float32',
      tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: this.seed }),
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const tokens = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tokens.add(this.embedding.read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}
tf.serialization.registerClass(LeadEmbedding);

export interface LeadSelfAttentionArgs {
  name?: string;
  heads: number;
  seed: number;
}

/** LayerNorm epsilon of the lead tokens (PyTorch's nn.LayerNorm default). */
export const LEAD_TOKEN_NORM_EPSILON = 1e-5;

/**
 * One pre-LayerNorm multi-head self-attention block over the lead tokens, with its residual:
 *   y = LayerNorm(x) (over d, with gain and bias);  q, k, v = y Wq, y Wk, y Wv (+ biases; one [d, 3d] kernel)
 *   per head h (d/heads units): A_h = softmax(q_h k_h^T / sqrt(d/heads)) over the L tokens
 *   out = x + concat_h(A_h v_h) Wo + bo
 * Pre-LN keeps the residual path an identity (the tokens pass through unchanged if the attention
 * learns nothing), which is what makes a single block train stably without warm-up tricks. No
 * feed-forward sublayer: it would double the branch's compute for a 13-token sequence.
 */
export class LeadSelfAttention extends tf.layers.Layer {
  static readonly className = 'LeadwiseLeadSelfAttention';
  readonly heads: number;
  readonly seed: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;
  private qkvKernel!: tf.LayerVariable;
  private qkvBias!: tf.LayerVariable;
  private outKernel!: tf.LayerVariable;
  private outBias!: tf.LayerVariable;

  constructor(args: LeadSelfAttentionArgs) {
    super({ name: args.name });
    this.heads = args.heads;
    this.seed = args.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    const units = (inputShape as Shape)[2] as number;
    if (units % this.heads !== 0) throw new Error(`${this.name}: ${units} token units do not split into ${this.heads} heads`);
    this.gamma = this.addWeight('gamma', [units], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [units], 'float32', tf.initializers.zeros());
    this.qkvKernel = this.addWeight('qkv_kernel', [units, 3 * units], 'float32', tf.initializers.glorotUniform({ seed: this.seed }));
    this.qkvBias = this.addWeight('qkv_bias', [3 * units], 'float32', tf.initializers.zeros());
    this.outKernel = this.addWeight('out_kernel', [units, units], 'float32', tf.initializers.glorotUniform({ seed: this.seed + 1 }));
    this.outBias = this.addWeight('out_bias', [units], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const tokens = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    return tf.tidy(() => {
      const [batch, leads, units] = tokens.shape;
      const headUnits = units / this.heads;
      const flat = tokens.reshape([batch * leads, units]);
      const centred = flat.sub(flat.mean(1, true));
      const variance = centred.square().mean(1, true);
      const normalised = centred.div(variance.add(LEAD_TOKEN_NORM_EPSILON).sqrt()).mul(this.gamma.read()).add(this.beta.read());
      const [q, k, v] = tf.split(tf.matMul(normalised, this.qkvKernel.read()).add(this.qkvBias.read()), 3, 1);
      // [B*L, d] -> [B*heads, L, d/heads]: a rank-3 batched matmul per head.
      const byHead = (t: tf.Tensor): tf.Tensor3D =>
        t.reshape([batch, leads, this.heads, headUnits]).transpose([0, 2, 1, 3]).reshape([batch * this.heads, leads, headUnits]);
      const scores = tf.matMul(byHead(q), byHead(k), false, true).mul(1 / Math.sqrt(headUnits));
      const mixed = tf
        .matMul(tf.softmax(scores, -1), byHead(v))
        .reshape([batch, this.heads, leads, headUnits])
        .transpose([0, 2, 1, 3])
        .reshape([batch * leads, units]);
      const update = tf.matMul(mixed, this.outKernel.read()).add(this.outBias.read());
      return tokens.add(update.reshape([batch, leads, units]));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, seed: this.seed };
  }
}
tf.serialization.registerClass(LeadSelfAttention);

/**
 * Group attention of the residual head: score_g = w . f_g + b, a = softmax_g(score),
 * context = sum_g a_g f_g. Outputs [context [B, C], attention [B, G]]. w and b start at zero, so the
 * attention starts uniform (1/G each) instead of favouring whichever group a random init picks,
 * and it only moves once the classifier reading the context has learnt to use it.
 */
export class LinearGroupAttention extends tf.layers.Layer {
  static readonly className = 'LeadwiseLinearGroupAttention';
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;

  override build(inputShape: Shape | Shape[]): void {
    const channels = (inputShape as Shape)[2] as number;
    this.kernel = this.addWeight('kernel', [channels, 1], 'float32', tf.initializers.zeros());
    this.bias = this.addWeight('bias', [1], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const shape = inputShape as Shape;
    return [
      [shape[0], shape[2]],
      [shape[0], shape[1]],
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const groupFeatures = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    return tf.tidy(() => {
      const [batch, groups, channels] = groupFeatures.shape;
      const scores = tf.matMul(groupFeatures.reshape([batch * groups, channels]), this.kernel.read()).add(this.bias.read()).reshape([batch, groups]);
      const attention = tf.softmax(scores, -1);
      const context = attention.expandDims(2).mul(groupFeatures).sum(1);
      return [context, attention];
    });
  }
}
tf.serialization.registerClass(LinearGroupAttention);

/**
 * The auxiliary group targets' readout of LeadGroupECG (issue 13): for each of the first `targets`
 * groups (the localised groups, which lead LEAD_GROUP_NAMES; aVR, last, has no target), a logit from
 * that group's own vector only, w_g . x_g + b_g, then a sigmoid. Input [B, G, C] group vectors,
 * output [B, targets] probabilities.
 */
export class GroupTargetReadout extends tf.layers.Layer {
  static readonly className = 'LeadwiseGroupTargetReadout';
  private readonly targets: number;
  private readonly seed: number;
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;

  constructor(args: { name: string; targets: number; seed: number }) {
    super({ name: args.name });
    this.targets = args.targets;
    this.seed = args.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    const [, groups, channels] = inputShape as Shape;
    if ((groups as number) < this.targets) throw new Error(`${this.name}: ${this.targets} targets need at least as many groups, got ${groups}`);
    this.kernel = this.addWeight('kernel', [this.targets, channels as number], 'float32', tf.initializers.glorotUniform({ seed: this.seed }));
    this.bias = this.addWeight('bias', [this.targets], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [(inputShape as Shape)[0], this.targets];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const groupVectors = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    return tf.tidy(() => {
      const targeted = groupVectors.slice([0, 0, 0], [-1, this.targets, -1]);
      return tf.sigmoid(targeted.mul(this.kernel.read()).sum(2).add(this.bias.read()));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), targets: this.targets, seed: this.seed };
  }
}
tf.serialization.registerClass(GroupTargetReadout);
