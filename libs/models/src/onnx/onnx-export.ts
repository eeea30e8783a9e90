import * as tf from '@tensorflow/tfjs';
import { LEAD_GROUP_NAMES, LEAD_NAMES } from '@leadwise/ecg';
import type { LeadwiseModel } from '../architectures/model-factory.ts';
import { LEAD_TOKEN_NORM_EPSILON, UNCOVERED_CELL_PENALTY } from '../architectures/lead-group-layers.ts';
import { INPUT_IMAGE, INPUT_LEAD_BOXES, OUTPUT_GROUP_ATTENTION, OUTPUT_PROBABILITY, RHYTHM_LEAD } from '../constants.ts';
import { floatValueInfo, onnx, ONNX_IR_VERSION, ONNX_OPSET, OnnxGraphBuilder, type AttributeValue, type DeclaredShape } from './onnx-graph-builder.ts';
import { METADATA_KEYS } from './onnx-metadata.ts';
import type { PageGridStyle } from '@leadwise/render';

export class OnnxExportError extends Error {
  override name = 'OnnxExportError';
}

export interface ExportOnnxOptions {
  /** The train run the weights come from, written to the metadata (null when exported outside a run). */
  trainingRunId?: number | null;
  /** Page background the model was trained on, so that predict renders records the same way. */
  gridStyle?: PageGridStyle;
}

/**
 * A graph value: its ONNX name and whether it is a 4-D feature map held as NCHW. The ONNX graph
 * keeps feature maps in NCHW (what Conv/Pool/BatchNormalization take) from the one transpose after
 * the image input; tfjs shapes and axes (NHWC) are translated where a layer depends on them.
 */
interface GraphValue {
  name: string;
  nchw: boolean;
}

const SYMBOLIC_BATCH = 'batch';
/** NHWC axis -> NCHW axis. */
const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];

type Layer = tf.layers.Layer;
type LayerConfig = tf.serialization.ConfigDict;

function pair(value: unknown, what: string, layer: Layer): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) return [value[0], value[1]];
  throw new OnnxExportError(`layer ${layer.name}: ${what} ${JSON.stringify(value)} is not a number or a pair`);
}

/** TensorFlow's 'same' padding for one spatial axis: the extra cell, if odd, goes after. */
function samePads(inputSize: number, kernel: number, stride: number, dilation: number): [number, number] {
  const outputSize = Math.ceil(inputSize / stride);
  const total = Math.max((outputSize - 1) * stride + (kernel - 1) * dilation + 1 - inputSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** ONNX pads [top, left, bottom, right] for a conv or pool on an NHWC input of static height/width. */
function spatialPads(
  layer: Layer,
  inputShape: tf.Shape,
  padding: unknown,
  kernel: [number, number],
  strides: [number, number],
  dilation: [number, number] = [1, 1],
): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same') throw new OnnxExportError(`layer ${layer.name}: padding ${String(padding)} is not supported (same, valid)`);
  const [, height, width] = inputShape;
  if (typeof height !== 'number' || typeof width !== 'number') {
    throw new OnnxExportError(`layer ${layer.name}: 'same' padding needs a static input height and width, got [${inputShape.join(', ')}]`);
  }
  const [top, bottom] = samePads(height, kernel[0], strides[0], dilation[0]);
  const [left, right] = samePads(width, kernel[1], strides[1], dilation[1]);
  return [top, left, bottom, right];
}

function requireChannelsLast(layer: Layer, config: LayerConfig): void {
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
    throw new OnnxExportError(`layer ${layer.name}: dataFormat ${String(config.dataFormat)} is not supported (channelsLast)`);
  }
}

/** A layer weight by its short name ('kernel', 'gamma', 'moving_mean', ...), with its shape. */
function weight(layer: Layer, shortName: string): { values: Float32Array; shape: number[] } {
  const index = layer.weights.findIndex((w) => {
    const name = w.originalName ?? w.name;
    return name === shortName || name.endsWith(`/${shortName}`);
  });
  if (index < 0) {
    const names = layer.weights.map((w) => w.originalName ?? w.name).join(', ');
    throw new OnnxExportError(`layer ${layer.name}: no weight "${shortName}" (has ${names || 'none'})`);
  }
  const variable = layer.weights[index];
  const values = variable.read().dataSync();
  if (!(values instanceof Float32Array)) throw new OnnxExportError(`layer ${layer.name}: weight ${shortName} is not float32`);
  return { values: Float32Array.from(values), shape: [...variable.shape] as number[] };
}

/** HWIO (tfjs conv kernel) -> OIHW (ONNX Conv weight). */
function hwioToOihw(values: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let h = 0; h < kh; h += 1) {
    for (let w = 0; w < kw; w += 1) {
      for (let i = 0; i < cin; i += 1) {
        const src = ((h * kw + w) * cin + i) * cout;
        for (let o = 0; o < cout; o += 1) out[((o * cin + i) * kh + h) * kw + w] = values[src + o];
      }
    }
  }
  return out;
}

function declaredShape(shape: tf.Shape): DeclaredShape {
  return shape.map((d, axis) => (d === null ? (axis === 0 ? SYMBOLIC_BATCH : `dim${axis}`) : d));
}

/** Translates the model's layers, in dependency order, into ONNX nodes. */
class LayersToOnnx {
  readonly graph = new OnnxGraphBuilder();
  private readonly values = new Map<number, GraphValue>();

  constructor(private readonly model: tf.LayersModel) {}

  valueOf(tensor: tf.SymbolicTensor, layer: Layer): GraphValue {
    const value = this.values.get(tensor.id);
    if (!value) throw new OnnxExportError(`layer ${layer.name}: input ${tensor.name} has not been converted (graph not in dependency order)`);
    return value;
  }

  setOutput(tensor: tf.SymbolicTensor, value: GraphValue): void {
    this.values.set(tensor.id, value);
  }

  has(tensor: tf.SymbolicTensor): boolean {
    return this.values.has(tensor.id);
  }

  /** Graph input `name`: images arrive NHWC as tfjs takes them and are transposed to NCHW once. */
  addInput(tensor: tf.SymbolicTensor, name: string): void {
    this.graph.reserve(name);
    if (tensor.shape.length === 4) {
      const nchw = this.graph.op('Transpose', [name], `${name}_to_nchw`, { perm: [0, 3, 1, 2] });
      this.setOutput(tensor, { name: nchw, nchw: true });
    } else {
      this.setOutput(tensor, { name, nchw: false });
    }
  }

  /** A layer's activation function, applied after its main op. */
  activation(layer: Layer, activation: unknown, input: string, rank: number): string {
    switch (activation ?? 'linear') {
      case 'linear':
        return input;
      case 'relu':
        return this.graph.op('Relu', [input], layer.name);
      case 'sigmoid':
        return this.graph.op('Sigmoid', [input], layer.name);
      case 'tanh':
        return this.graph.op('Tanh', [input], layer.name);
      case 'softmax':
        if (rank !== 2) throw new OnnxExportError(`layer ${layer.name}: softmax on rank-${rank} tensors is not supported`);
        return this.graph.op('Softmax', [input], layer.name, { axis: -1 });
      default:
        throw new OnnxExportError(`layer ${layer.name}: activation ${String(activation)} is not supported`);
    }
  }

  convertLayer(layer: Layer, inputs: tf.SymbolicTensor[], outputs: tf.SymbolicTensor[]): void {
    const className = layer.getClassName();
    const config = layer.getConfig();
    const graphInputs = inputs.map((t) => this.valueOf(t, layer));
    const convert = LAYER_CONVERTERS.get(className);
    if (!convert) throw new OnnxExportError(`layer ${layer.name}: ${className} has no ONNX conversion`);
    convert({
      to: this,
      graph: this.graph,
      layer,
      config,
      inputs,
      graphInputs,
      x: graphInputs[0],
      single: (name, nchw) => this.setOutput(outputs[0], { name, nchw }),
      twoOutputs: (first, second) => {
        this.setOutput(outputs[0], { name: first, nchw: false });
        this.setOutput(outputs[1], { name: second, nchw: false });
      },
    });
  }

  /**
   * What LeadPooling and LeadMaxPooling (lead-group-layers.ts) share: per-lead masks from the boxes,
   * area-weighted over the feature cells, rows normalised (mask [B, L, hw]), and the feature map as
   * cells x channels ([B, hw, C], the same row-major cell order i*w+j as the mask). LeadPooling is
   * then mask @ cells.
   */
  leadCells(layer: Layer, inputs: tf.SymbolicTensor[], [features, boxes]: GraphValue[]): { mask: string; cells: string } {
    const [, height, width, channels] = inputs[0].shape;
    if (!features.nchw || typeof height !== 'number' || typeof width !== 'number' || typeof channels !== 'number') {
      throw new OnnxExportError(`layer ${layer.name}: lead pooling needs a static 4-D feature map, got [${inputs[0].shape.join(', ')}]`);
    }
    const g = this.graph;
    const scope = layer.name;
    const [x0, y0, x1, y1] = g.node('Split', [boxes.name, g.int64Initializer(`${scope}/split_sizes`, [1, 1, 1, 1])], scope, { axis: 2 }, 4);
    const coverage = (lo: string, hi: string, cells: number, axisName: string): string => {
      // float32(j) / float32(cells) rounds like tfjs's range(...).div(cells).
      const starts = Float32Array.from({ length: cells }, (_, j) => Math.fround(j) / cells);
      const ends = Float32Array.from({ length: cells }, (_, j) => Math.fround(j + 1) / cells);
      const start = g.floatInitializer(`${scope}/${axisName}_cell_start`, [1, 1, cells], starts);
      const end = g.floatInitializer(`${scope}/${axisName}_cell_end`, [1, 1, cells], ends);
      const overlap = g.op('Sub', [g.op('Min', [hi, end], scope), g.op('Max', [lo, start], scope)], scope);
      return g.op('Mul', [g.op('Relu', [overlap], scope), g.scalar(`${scope}/${axisName}_cells`, cells)], scope);
    };
    const ox = coverage(x0, x1, width, 'x'); // [B, L, w]
    const oy = coverage(y0, y1, height, 'y'); // [B, L, h]
    const outer = g.op(
      'Mul',
      [g.op('Unsqueeze', [oy, g.int64Initializer(`${scope}/axis3`, [3])], scope), g.op('Unsqueeze', [ox, g.int64Initializer(`${scope}/axis2`, [2])], scope)],
      scope,
    ); // [B, L, h, w]
    const boxCount = inputs[1].shape[1];
    if (typeof boxCount !== 'number') throw new OnnxExportError(`layer ${layer.name}: the lead-box count must be static`);
    const mask = g.op('Reshape', [outer, g.int64Initializer(`${scope}/mask_shape`, [0, boxCount, height * width])], scope);
    const total = g.op('ReduceSum', [mask, g.int64Initializer(`${scope}/sum_axis`, [2])], scope, { keepdims: 1 });
    const normalised = g.op('Div', [mask, g.op('Add', [total, g.scalar(`${scope}/epsilon`, 1e-9)], scope)], scope);
    // NCHW [B, C, h, w] -> [B, C, hw] -> [B, hw, C].
    const flat = g.op('Reshape', [features.name, g.int64Initializer(`${scope}/features_shape`, [0, channels, height * width])], scope);
    return { mask: normalised, cells: g.op('Transpose', [flat], scope, { perm: [0, 2, 1] }) };
  }

  /** LeadMaxPooling: max over the cells with mask > 0, uncovered cells pushed down by the penalty; 0 for a box covering none. */
  leadMaxPooling(layer: Layer, inputs: tf.SymbolicTensor[], graphInputs: GraphValue[]): string {
    const g = this.graph;
    const scope = layer.name;
    const { mask, cells } = this.leadCells(layer, inputs, graphInputs);
    const covered = g.op('Cast', [g.op('Greater', [mask, g.scalar(`${scope}/zero`, 0)], scope)], scope, { to: onnx.TensorProto.DataType.FLOAT }); // [B, L, hw]
    const penalty = g.op('Mul', [g.op('Sub', [covered, g.scalar(`${scope}/one`, 1)], scope), g.scalar(`${scope}/penalty`, UNCOVERED_CELL_PENALTY)], scope);
    const penaltyByChannel = g.op('Unsqueeze', [penalty, g.int64Initializer(`${scope}/channel_axis`, [3])], scope); // [B, L, hw, 1]
    const cellsByLead = g.op('Unsqueeze', [cells, g.int64Initializer(`${scope}/lead_axis`, [1])], scope); // [B, 1, hw, C]
    // Opset 17 ReduceMax takes its axes as an attribute (an input only from opset 18).
    const pooled = g.op('ReduceMax', [g.op('Add', [cellsByLead, penaltyByChannel], scope)], scope, { axes: [2], keepdims: 0 }); // [B, L, C]
    const anyCovered = g.op('ReduceMax', [covered], scope, { axes: [2], keepdims: 1 }); // [B, L, 1]
    return g.op('Mul', [pooled, anyCovered], scope);
  }

  /** LeadSelfAttention: pre-LayerNorm multi-head self-attention over the lead tokens, plus the residual. */
  leadSelfAttention(layer: Layer, input: tf.SymbolicTensor, tokens: string, heads: number): string {
    const [, leads, units] = input.shape;
    if (typeof leads !== 'number' || typeof units !== 'number') throw new OnnxExportError(`layer ${layer.name}: token shape must be static`);
    const g = this.graph;
    const scope = layer.name;
    const headUnits = units / heads;
    const initializer = (shortName: string): string => {
      const w = weight(layer, shortName);
      return g.floatInitializer(`${scope}/${shortName}`, w.shape, w.values);
    };
    // LayerNorm spelt out as tfjs computes it (mean, centred square mean, sqrt, divide), for parity.
    const mean = g.op('ReduceMean', [tokens], scope, { axes: [2], keepdims: 1 });
    const centred = g.op('Sub', [tokens, mean], scope);
    const variance = g.op('ReduceMean', [g.op('Mul', [centred, centred], scope)], scope, { axes: [2], keepdims: 1 });
    const deviation = g.op('Sqrt', [g.op('Add', [variance, g.scalar(`${scope}/epsilon`, LEAD_TOKEN_NORM_EPSILON)], scope)], scope);
    const normalised = g.op('Add', [g.op('Mul', [g.op('Div', [centred, deviation], scope), initializer('gamma')], scope), initializer('beta')], scope);
    const qkv = g.op('Add', [g.op('MatMul', [normalised, initializer('qkv_kernel')], scope), initializer('qkv_bias')], scope); // [B, L, 3d]
    const [q, k, v] = g.node('Split', [qkv, g.int64Initializer(`${scope}/qkv_sizes`, [units, units, units])], scope, { axis: 2 }, 3);
    const headShape = g.int64Initializer(`${scope}/head_shape`, [0, leads, heads, headUnits]);
    const byHead = (t: string): string => g.op('Transpose', [g.op('Reshape', [t, headShape], scope)], scope, { perm: [0, 2, 1, 3] }); // [B, H, L, dh]
    const keysTransposed = g.op('Transpose', [g.op('Reshape', [k, headShape], scope)], scope, { perm: [0, 2, 3, 1] }); // [B, H, dh, L]
    const scores = g.op('Mul', [g.op('MatMul', [byHead(q), keysTransposed], scope), g.scalar(`${scope}/scale`, 1 / Math.sqrt(headUnits))], scope);
    const mixed = g.op('MatMul', [g.op('Softmax', [scores], scope, { axis: -1 }), byHead(v)], scope); // [B, H, L, dh]
    const merged = g.op(
      'Reshape',
      [g.op('Transpose', [mixed], scope, { perm: [0, 2, 1, 3] }), g.int64Initializer(`${scope}/token_shape`, [0, leads, units])],
      scope,
    );
    const update = g.op('Add', [g.op('MatMul', [merged, initializer('out_kernel')], scope), initializer('out_bias')], scope);
    return g.op('Add', [tokens, update], scope);
  }

  /** LinearGroupAttention: score = w . f + b, softmax over groups, context = sum_g a_g f_g. */
  linearGroupAttention(layer: Layer, input: tf.SymbolicTensor, groupFeatures: string): [string, string] {
    const groups = input.shape[1];
    if (typeof groups !== 'number') throw new OnnxExportError(`layer ${layer.name}: group count must be static`);
    const g = this.graph;
    const scope = layer.name;
    const kernel = weight(layer, 'kernel');
    const bias = weight(layer, 'bias');
    const scores = g.op(
      'Add',
      [g.op('MatMul', [groupFeatures, g.floatInitializer(`${scope}/kernel`, kernel.shape, kernel.values)], scope), g.floatInitializer(`${scope}/bias`, bias.shape, bias.values)],
      scope,
    ); // [B, G, 1]
    const attention = g.op('Softmax', [g.op('Reshape', [scores, g.int64Initializer(`${scope}/scores_shape`, [0, groups])], scope)], scope, { axis: -1 });
    const weighted = g.op('Mul', [g.op('Unsqueeze', [attention, g.int64Initializer(`${scope}/axis2`, [2])], scope), groupFeatures], scope);
    const context = g.op('ReduceSum', [weighted, g.int64Initializer(`${scope}/group_axis`, [1])], scope, { keepdims: 0 });
    return [context, attention];
  }

  /** GroupAttention: score = v . tanh(W f + b), softmax over groups, context = sum_g a_g f_g. */
  groupAttention(layer: Layer, input: tf.SymbolicTensor, groupFeatures: string): [string, string] {
    const groups = input.shape[1];
    if (typeof groups !== 'number') throw new OnnxExportError(`layer ${layer.name}: group count must be static`);
    const g = this.graph;
    const scope = layer.name;
    const kernel = weight(layer, 'kernel');
    const bias = weight(layer, 'bias');
    const score = weight(layer, 'score');
    const hidden = g.op(
      'Tanh',
      [
        g.op(
          'Add',
          [
            g.op('MatMul', [groupFeatures, g.floatInitializer(`${scope}/kernel`, kernel.shape, kernel.values)], scope),
            g.floatInitializer(`${scope}/bias`, bias.shape, bias.values),
          ],
          scope,
        ),
      ],
      scope,
    ); // [B, G, U]
    const scores = g.op('MatMul', [hidden, g.floatInitializer(`${scope}/score`, score.shape, score.values)], scope); // [B, G, 1]
    const flatScores = g.op('Reshape', [scores, g.int64Initializer(`${scope}/scores_shape`, [0, groups])], scope);
    const attention = g.op('Softmax', [flatScores], scope, { axis: -1 });
    const weighted = g.op('Mul', [g.op('Unsqueeze', [attention, g.int64Initializer(`${scope}/axis2`, [2])], scope), groupFeatures], scope);
    const context = g.op('ReduceSum', [weighted, g.int64Initializer(`${scope}/group_axis`, [1])], scope, { keepdims: 0 });
    return [context, attention];
  }

  convertAll(): void {
    const model = this.model;
    model.inputs.forEach((tensor, i) => this.addInput(tensor, model.inputNames[i]));
    const pending = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
    // model.layers is topologically sorted for functional models; the loop only guards the assumption.
    while (pending.length > 0) {
      const index = pending.findIndex((layer) => layer.inboundNodes.every((node) => node.inputTensors.every((t) => this.has(t))));
      if (index < 0) throw new OnnxExportError(`layers ${pending.map((l) => l.name).join(', ')} depend on values that are never produced`);
      const [layer] = pending.splice(index, 1);
      if (layer.inboundNodes.length !== 1) throw new OnnxExportError(`layer ${layer.name} is applied ${layer.inboundNodes.length} times; shared layers are not supported`);
      const node = layer.inboundNodes[0];
      this.convertLayer(layer, node.inputTensors, node.outputTensors);
    }
  }

  /** Graph outputs under the model's output names; feature maps go back to NHWC as tfjs returns them. */
  outputNames(): string[] {
    return this.model.outputs.map((tensor, i) => {
      const value = this.valueOf(tensor, this.model.outputLayers[i]);
      const name = this.graph.reserve(this.model.outputNames[i]);
      this.graph.nodes.push(
        onnx.NodeProto.create({
          name: this.graph.unique(`${name}/graph_output`),
          opType: value.nchw ? 'Transpose' : 'Identity',
          input: [value.name],
          output: [name],
          attribute: value.nchw ? [onnx.AttributeProto.create({ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 3, 1] })] : [],
        }),
      );
      return name;
    });
  }
}

/** What a layer converter gets: the layer, its inputs as tfjs and graph values, and where its outputs go. */
interface LayerConversion {
  to: LayersToOnnx;
  graph: OnnxGraphBuilder;
  layer: Layer;
  config: LayerConfig;
  inputs: tf.SymbolicTensor[];
  graphInputs: GraphValue[];
  /** The first input. */
  x: GraphValue;
  /** Sets the layer's one output. */
  single: (name: string, nchw: boolean) => void;
  /** Sets a two-output layer's outputs (attention layers: context, weights), both not NCHW. */
  twoOutputs: (first: string, second: string) => void;
}

type LayerConverter = (c: LayerConversion) => void;

function convertConv2d({ graph, layer, config, inputs, x, single, to }: LayerConversion): void {
  requireChannelsLast(layer, config);
  const kernel = weight(layer, 'kernel');
  const [kh, kw] = kernel.shape;
  const strides = pair(config.strides, 'strides', layer);
  const dilations = pair(config.dilationRate ?? 1, 'dilationRate', layer);
  const convInputs = [x.name, graph.floatInitializer(`${layer.name}/weight`, [kernel.shape[3], kernel.shape[2], kh, kw], hwioToOihw(kernel.values, kernel.shape))];
  if (config.useBias) {
    const bias = weight(layer, 'bias');
    convInputs.push(graph.floatInitializer(`${layer.name}/bias`, bias.shape, bias.values));
  }
  const conv = graph.op('Conv', convInputs, layer.name, {
    kernel_shape: [kh, kw],
    strides,
    dilations,
    pads: spatialPads(layer, inputs[0].shape, config.padding, [kh, kw], strides, dilations),
    group: 1,
  });
  single(to.activation(layer, config.activation, conv, 4), true);
}

function convertBatchNorm({ graph, layer, config, inputs, x, single }: LayerConversion): void {
  const rank = inputs[0].shape.length;
  const axis = config.axis as number;
  if (axis !== -1 && axis !== rank - 1) throw new OnnxExportError(`layer ${layer.name}: batch norm over axis ${axis} is not supported (last axis)`);
  if (rank !== 4 && rank !== 2) throw new OnnxExportError(`layer ${layer.name}: batch norm on rank-${rank} input is not supported`);
  const mean = weight(layer, 'moving_mean');
  const channels = mean.values.length;
  const gamma = config.scale === false ? Float32Array.from({ length: channels }, () => 1) : weight(layer, 'gamma').values;
  const beta = config.center === false ? new Float32Array(channels) : weight(layer, 'beta').values;
  const variance = weight(layer, 'moving_variance').values;
  const normalised = graph.op(
    'BatchNormalization',
    [
      x.name,
      graph.floatInitializer(`${layer.name}/scale`, [channels], gamma),
      graph.floatInitializer(`${layer.name}/bias`, [channels], beta),
      graph.floatInitializer(`${layer.name}/mean`, [channels], mean.values),
      graph.floatInitializer(`${layer.name}/var`, [channels], variance),
    ],
    layer.name,
    { epsilon: { float: config.epsilon as number } },
  );
  single(normalised, x.nchw);
}

function convertRelu({ graph, layer, config, x, single }: LayerConversion): void {
  if (config.maxValue !== null && config.maxValue !== undefined) throw new OnnxExportError(`layer ${layer.name}: ReLU maxValue is not supported`);
  single(graph.op('Relu', [x.name], layer.name), x.nchw);
}

function convertActivation({ graph, layer, config, inputs, x, single, to }: LayerConversion): void {
  const out = to.activation(layer, config.activation, x.name, inputs[0].shape.length);
  single(out === x.name ? graph.op('Identity', [x.name], layer.name) : out, x.nchw);
}

function poolConverter(opType: 'MaxPool' | 'AveragePool'): LayerConverter {
  return ({ graph, layer, config, inputs, x, single }) => {
    requireChannelsLast(layer, config);
    const kernel = pair(config.poolSize, 'poolSize', layer);
    const strides = pair(config.strides ?? config.poolSize, 'strides', layer);
    const pads = spatialPads(layer, inputs[0].shape, config.padding, kernel, strides);
    // TF's 'same' average pooling divides by the cells inside the image: count_include_pad = 0.
    const attributes: Record<string, AttributeValue> = { kernel_shape: kernel, strides, pads };
    if (opType === 'AveragePool') attributes.count_include_pad = 0;
    single(graph.op(opType, [x.name], layer.name, attributes), true);
  };
}

function convertGlobalAveragePool({ graph, layer, config, x, single }: LayerConversion): void {
  requireChannelsLast(layer, config);
  const pooled = graph.op('GlobalAveragePool', [x.name], layer.name);
  single(graph.op('Flatten', [pooled], layer.name, { axis: 1 }), false);
}

function convertAdd({ graph, layer, graphInputs, x, single }: LayerConversion): void {
  let sum = x.name;
  for (const other of graphInputs.slice(1)) sum = graph.op('Add', [sum, other.name], layer.name);
  single(sum, x.nchw);
}

function convertConcatenate({ graph, layer, config, inputs, graphInputs, x, single }: LayerConversion): void {
  const rank = inputs[0].shape.length;
  let axis = (config.axis as number | undefined) ?? -1;
  if (axis < 0) axis += rank;
  if (x.nchw) axis = NHWC_TO_NCHW_AXIS[axis];
  single(graph.op('Concat', graphInputs.map((v) => v.name), layer.name, { axis }), x.nchw);
}

function convertDense({ graph, layer, config, inputs, x, single, to }: LayerConversion): void {
  if (x.nchw) throw new OnnxExportError(`layer ${layer.name}: Dense on a 4-D feature map is not supported`);
  const kernel = weight(layer, 'kernel');
  let y = graph.op('MatMul', [x.name, graph.floatInitializer(`${layer.name}/kernel`, kernel.shape, kernel.values)], layer.name);
  if (config.useBias) {
    const bias = weight(layer, 'bias');
    y = graph.op('Add', [y, graph.floatInitializer(`${layer.name}/bias`, bias.shape, bias.values)], layer.name);
  }
  single(to.activation(layer, config.activation, y, inputs[0].shape.length), false);
}

/** Inference graph: dropout is the identity, so its output is its input. */
function convertDropout({ x, single }: LayerConversion): void {
  single(x.name, x.nchw);
}

function convertFlatten({ graph, layer, x, single }: LayerConversion): void {
  // tfjs flattens NHWC (channels fastest); go back to NHWC first so Dense weights line up.
  const nhwc = x.nchw ? graph.op('Transpose', [x.name], layer.name, { perm: [0, 2, 3, 1] }) : x.name;
  single(graph.op('Flatten', [nhwc], layer.name, { axis: 1 }), false);
}

function convertLeadPooling({ graph, layer, inputs, graphInputs, single, to }: LayerConversion): void {
  const { mask, cells } = to.leadCells(layer, inputs, graphInputs);
  single(graph.op('MatMul', [mask, cells], layer.name), false);
}

function convertLeadEmbedding({ graph, layer, x, single }: LayerConversion): void {
  const embedding = weight(layer, 'embedding');
  // [B, L, d] + [L, d] broadcasts over the batch.
  single(graph.op('Add', [x.name, graph.floatInitializer(`${layer.name}/embedding`, embedding.shape, embedding.values)], layer.name), false);
}

function convertGroupAggregation({ graph, layer, config, x, single }: LayerConversion): void {
  const membership = config.membership as number[][];
  const matrix = graph.floatInitializer(`${layer.name}/membership`, [membership.length, membership[0].length], Float32Array.from(membership.flat()));
  // [G, 12] @ [B, 12, C] broadcasts to [B, G, C].
  single(graph.op('MatMul', [matrix, x.name], layer.name), false);
}

/** Converters keyed by tfjs layer class name (`layer.getClassName()`); a class not here cannot be exported. */
const LAYER_CONVERTERS: ReadonlyMap<string, LayerConverter> = new Map<string, LayerConverter>([
  ['Conv2D', convertConv2d],
  ['BatchNormalization', convertBatchNorm],
  ['ReLU', convertRelu],
  ['Activation', convertActivation],
  ['MaxPooling2D', poolConverter('MaxPool')],
  ['AveragePooling2D', poolConverter('AveragePool')],
  ['GlobalAveragePooling2D', convertGlobalAveragePool],
  ['Add', convertAdd],
  ['Concatenate', convertConcatenate],
  ['Dense', convertDense],
  ['Dropout', convertDropout],
  ['SpatialDropout1D', convertDropout],
  ['LeadwiseSeededDropout', convertDropout],
  ['Flatten', convertFlatten],
  ['LeadwiseLeadPooling', convertLeadPooling],
  ['LeadwiseLeadMaxPooling', ({ layer, inputs, graphInputs, single, to }) => single(to.leadMaxPooling(layer, inputs, graphInputs), false)],
  ['LeadwiseLeadEmbedding', convertLeadEmbedding],
  ['LeadwiseLeadSelfAttention', ({ layer, inputs, x, config, single, to }) => single(to.leadSelfAttention(layer, inputs[0], x.name, config.heads as number), false)],
  ['LeadwiseLinearGroupAttention', ({ layer, inputs, x, twoOutputs, to }) => twoOutputs(...to.linearGroupAttention(layer, inputs[0], x.name))],
  ['LeadwiseGroupAggregation', convertGroupAggregation],
  ['LeadwiseGroupAttention', ({ layer, inputs, x, twoOutputs, to }) => twoOutputs(...to.groupAttention(layer, inputs[0], x.name))],
]);

const INPUT_DOCS: Record<string, string> = {
  [INPUT_IMAGE]: 'ECG page pixels, NHWC float32 [batch, height, width, channels], 0 = blank paper, 1 = full ink (what tfjs was trained on).',
  [INPUT_LEAD_BOXES]: `Lead boxes [batch, 13 or 12, 4] as [x0, y0, x1, y1] normalised to the image (x right, y down), leads in order ${LEAD_NAMES.join(', ')}, then the rhythm strip when there are 13 (see leadwise.lead_boxes).`,
};
const OUTPUT_DOCS: Record<string, string> = {
  [OUTPUT_PROBABILITY]: 'P(abnormal) [batch, 1]: sigmoid of the classifier logit; 1 = abnormal ECG, 0 = normal.',
  [OUTPUT_GROUP_ATTENTION]: `Attention weights over the lead groups [batch, 5], summing to 1, in order ${LEAD_GROUP_NAMES.join(', ')}.`,
};

/**
 * The graph an export holds: the model without its training-only group-target output (the same
 * layers and weights; a model without group targets is returned as is).
 */
function inferenceGraph(network: LeadwiseModel): tf.LayersModel {
  const { model } = network;
  if (!network.hasGroupTargets) return model;
  return tf.model({ name: model.name, inputs: model.inputs, outputs: model.outputs.slice(0, -1) });
}

/**
 * Converts a Leadwise tfjs model (inference graph: dropout removed, batch norm with moving
 * statistics) to an ONNX ModelProto (opset 17), serialised. Inputs and outputs keep the tfjs names
 * and layouts (image NHWC), so the same host buffers feed both runtimes.
 */
export function exportOnnx(network: LeadwiseModel, options: ExportOnnxOptions = {}): Uint8Array {
  const { config } = network;
  const model = inferenceGraph(network);
  const converter = new LayersToOnnx(model);
  converter.convertAll();
  const outputs = converter.outputNames();
  const graph = onnx.GraphProto.create({
    name: model.name,
    docString: `Leadwise ${config.architecture} (backbone ${config.backbone}), ${config.inputHeight}x${config.inputWidth}x${config.channels}`,
    node: converter.graph.nodes,
    initializer: converter.graph.initializers,
    input: model.inputs.map((t, i) => floatValueInfo(model.inputNames[i], declaredShape(t.shape), INPUT_DOCS[model.inputNames[i]] ?? '')),
    output: model.outputs.map((t, i) => floatValueInfo(outputs[i], declaredShape(t.shape), OUTPUT_DOCS[outputs[i]] ?? '')),
  });
  const trainingRunId = options.trainingRunId ?? null;
  const metadata: Record<string, string> = {
    [METADATA_KEYS.format]: '1',
    [METADATA_KEYS.architecture]: config.architecture,
    [METADATA_KEYS.backbone]: config.backbone,
    [METADATA_KEYS.inputHeight]: String(config.inputHeight),
    [METADATA_KEYS.inputWidth]: String(config.inputWidth),
    [METADATA_KEYS.channels]: String(config.channels),
    [METADATA_KEYS.inputs]: model.inputNames.map((name, i) => `${name}: [${declaredShape(model.inputs[i].shape).join(', ')}]`).join('; '),
    [METADATA_KEYS.outputs]: outputs.map((name, i) => `${name}: [${declaredShape(model.outputs[i].shape).join(', ')}]`).join('; '),
    [METADATA_KEYS.normalisation]:
      'NHWC float32 in [0, 1]: 0 = blank paper, 1 = full ink (1 - gray/255 of a rendered page, grid-free or as trained), no mean/std scaling',
    [METADATA_KEYS.label]: 'probability = P(abnormal): 1 = abnormal ECG (any non-NORM diagnosis), 0 = normal',
    [METADATA_KEYS.modelConfig]: JSON.stringify(config),
    [METADATA_KEYS.trainingRunId]: trainingRunId === null ? '' : String(trainingRunId),
  };
  if (options.gridStyle) metadata[METADATA_KEYS.gridStyle] = options.gridStyle;
  if (network.usesLeadBoxes) {
    const rhythm = network.leadBoxCount > LEAD_NAMES.length ? `, then the rhythm strip (lead ${RHYTHM_LEAD}, the whole strip's box)` : '';
    metadata[METADATA_KEYS.leadBoxes] =
      `lead_boxes [batch, ${network.leadBoxCount}, 4] = [x0, y0, x1, y1] of each lead's panel divided by the image width/height (x right, y down), leads ${LEAD_NAMES.join(',')}${rhythm}`;
  }
  if (network.hasGroupAttention) metadata[METADATA_KEYS.groups] = LEAD_GROUP_NAMES.join(',');
  const modelProto = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    producerName: 'leadwise',
    producerVersion: `tfjs-layers ${tf.version_layers}`,
    domain: 'org.leadwise',
    modelVersion: 1,
    docString: 'Leadwise ECG image classifier exported from TensorFlow.js; see metadata_props for preprocessing and labels.',
    graph,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(modelProto).finish();
}
