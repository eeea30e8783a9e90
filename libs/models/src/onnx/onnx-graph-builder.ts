import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
type OnnxNamespace = typeof onnxProto.onnx;
type NodeProto = InstanceType<OnnxNamespace['NodeProto']>;
type TensorProto = InstanceType<OnnxNamespace['TensorProto']>;
type AttributeProto = InstanceType<OnnxNamespace['AttributeProto']>;
type ValueInfoProto = InstanceType<OnnxNamespace['ValueInfoProto']>;

/** Default-domain opset the exporter targets (Softmax per axis, Split/ReduceSum take inputs since 13). */
export const ONNX_OPSET = 17;
/** IR version 8 is what opset 17 was released with (ONNX 1.12). */
export const ONNX_IR_VERSION = 8;

export type AttributeValue = number | readonly number[] | string | { float: number };

/** An attribute given as JS: integer numbers become INT, `{ float }` FLOAT, arrays INTS, strings STRING. */
function attribute(name: string, value: AttributeValue): AttributeProto {
  const types = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: types.STRING, s: new TextEncoder().encode(value) });
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ${value} is not an integer; pass { float: ${value} }`);
    return onnx.AttributeProto.create({ name, type: types.INT, i: value });
  }
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: types.INTS, ints: [...(value as number[])] });
  return onnx.AttributeProto.create({ name, type: types.FLOAT, f: (value as { float: number }).float });
}

/** Little-endian bytes of float32 values, whatever the host's byte order (ONNX raw_data is little-endian). */
function float32Bytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i += 1) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return bytes;
}

/** A tensor's declared shape: numbers are fixed, strings symbolic (e.g. 'batch'). */
export type DeclaredShape = readonly (number | string)[];

export function floatValueInfo(name: string, shape: DeclaredShape, docString: string): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    docString,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

/**
 * Accumulates nodes and initializers with unique names. Every graph value is named once; `node`
 * returns the names of the outputs it created so that converters chain calls.
 */
export class OnnxGraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly usedNames = new Set<string>();

  /** `base` if free, else `base_1`, `base_2`... */
  unique(base: string): string {
    let name = base;
    for (let k = 1; this.usedNames.has(name); k += 1) name = `${base}_${k}`;
    this.usedNames.add(name);
    return name;
  }

  reserve(name: string): string {
    if (this.usedNames.has(name)) throw new Error(`ONNX value name ${name} is already used`);
    this.usedNames.add(name);
    return name;
  }

  /** Adds one node named `${scope}/${opType}`; outputs are named after it. */
  node(
    opType: string,
    inputs: readonly string[],
    scope: string,
    attributes: Record<string, AttributeValue> = {},
    outputCount = 1,
  ): string[] {
    const nodeName = this.unique(`${scope}/${opType}`);
    const outputs = Array.from({ length: outputCount }, (_, k) => (outputCount === 1 ? nodeName : this.unique(`${nodeName}:${k}`)));
    this.nodes.push(
      onnx.NodeProto.create({
        name: nodeName,
        opType,
        input: [...inputs],
        output: outputs,
        attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
      }),
    );
    return outputs;
  }

  /** Shorthand for single-output nodes. */
  op(opType: string, inputs: readonly string[], scope: string, attributes: Record<string, AttributeValue> = {}): string {
    return this.node(opType, inputs, scope, attributes, 1)[0];
  }

  floatInitializer(base: string, dims: readonly number[], values: Float32Array): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (values.length !== expected) throw new Error(`initializer ${base}: ${values.length} values for dims [${dims.join(', ')}]`);
    const name = this.unique(base);
    this.initializers.push(
      onnx.TensorProto.create({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: float32Bytes(values) }),
    );
    return name;
  }

  int64Initializer(base: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.unique(base);
    this.initializers.push(
      onnx.TensorProto.create({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.INT64, rawData: int64Bytes(values) }),
    );
    return name;
  }

  /** A float scalar constant (dims []), broadcast by the elementwise ops. */
  scalar(base: string, value: number): string {
    return this.floatInitializer(base, [], Float32Array.of(value));
  }
}
