import * as tf from '@tensorflow/tfjs';

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

/** Per-box pooling weights [B, L, h*w] for a feature map of h x w cells (rows sum to 1). */
export function leadMasks(boxes: tf.Tensor3D, height: number, width: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [x0, y0, x1, y1] = tf.split(boxes, 4, 2);
    const coverage = (lo: tf.Tensor, hi: tf.Tensor, cells: number): tf.Tensor => {
      const edges = tf.range(0, cells, 1, 'float32').div(cells).reshape([1, 1, cells]);
      const edgesEnd = tf.range(1, cells + 1, 1, 'float32').div(cells).reshape([1, 1, cells]);
      return tf.relu(tf.minimum(hi, edgesEnd).sub(tf.maximum(lo, edges))).mul(cells);
    };
    const ox = coverage(x0, x1, width); // [B, 12, w]
    const oy = coverage(y0, y1, height); // [B, 12, h]
    const batch = boxes.shape[0];
    const mask = oy.expandDims(3).mul(ox.expandDims(2)).reshape([batch, boxes.shape[1], height * width]);
    return mask.div(mask.sum(2, true).add(1e-9)) as tf.Tensor3D;
  });
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
