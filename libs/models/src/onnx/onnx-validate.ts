import { onnx, ONNX_OPSET } from './onnx-graph-builder.ts';
import { decodeOnnxModel } from './onnx-metadata.ts';

export class OnnxValidationError extends Error {
  override name = 'OnnxValidationError';
  constructor(
    readonly problems: string[],
    source: string,
  ) {
    super(`${source} is not a valid ONNX model:\n  ${problems.join('\n  ')}`);
  }
}

const ELEMENT_BYTES: Record<number, number> = {
  [onnx.TensorProto.DataType.FLOAT]: 4,
  [onnx.TensorProto.DataType.INT64]: 8,
  [onnx.TensorProto.DataType.INT32]: 4,
  [onnx.TensorProto.DataType.DOUBLE]: 8,
};

function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

/**
 * Structural checks of a serialised ModelProto (a subset of onnx.checker): default-domain opset at
 * least 17, named graph inputs and outputs with tensor types, initialisers with unique names and
 * data matching their dims, nodes in topological order with every input defined before use and every
 * output named once, and every graph output produced. Returns the problems found (empty = valid).
 */
export function findOnnxProblems(bytes: Uint8Array, minOpset = ONNX_OPSET): string[] {
  const problems: string[] = [];
  const model = decodeOnnxModel(bytes);
  if (toNumber(model.irVersion) < 3) problems.push(`ir_version ${toNumber(model.irVersion)} is below 3`);
  const defaultOpset = (model.opsetImport ?? []).find((o) => !o.domain);
  if (!defaultOpset) problems.push('no opset_import for the default ONNX domain');
  else if (toNumber(defaultOpset.version) < minOpset) problems.push(`default-domain opset ${toNumber(defaultOpset.version)} is below ${minOpset}`);

  const graph = model.graph;
  if (!graph) return [...problems, 'model has no graph'];
  const defined = new Set<string>();
  const inputs = graph.input ?? [];
  const outputs = graph.output ?? [];
  if (inputs.length === 0) problems.push('graph has no inputs');
  if (outputs.length === 0) problems.push('graph has no outputs');
  for (const [kind, values] of [
    ['input', inputs],
    ['output', outputs],
  ] as const) {
    values.forEach((value, i) => {
      if (!value.name) problems.push(`graph ${kind} ${i} has no name`);
      const tensorType = value.type?.tensorType;
      if (!tensorType?.elemType) problems.push(`graph ${kind} ${value.name}: no tensor element type`);
      if (!tensorType?.shape?.dim?.length) problems.push(`graph ${kind} ${value.name}: no shape`);
    });
  }
  for (const input of inputs) if (input.name) defined.add(input.name);

  for (const tensor of graph.initializer ?? []) {
    const name = tensor.name ?? '';
    if (!name) problems.push('an initializer has no name');
    if (defined.has(name)) problems.push(`initializer ${name} is defined twice`);
    defined.add(name);
    const dims = (tensor.dims ?? []).map(toNumber);
    if (dims.some((d) => d < 0)) problems.push(`initializer ${name}: negative dim in [${dims.join(', ')}]`);
    const count = dims.reduce((a, b) => a * b, 1);
    const elementBytes = ELEMENT_BYTES[tensor.dataType ?? 0];
    if (!elementBytes) {
      problems.push(`initializer ${name}: unsupported data type ${tensor.dataType}`);
      continue;
    }
    const stored =
      tensor.rawData && tensor.rawData.length > 0
        ? tensor.rawData.length / elementBytes
        : (tensor.floatData?.length ?? 0) + (tensor.int64Data?.length ?? 0) + (tensor.int32Data?.length ?? 0) + (tensor.doubleData?.length ?? 0);
    if (stored !== count) problems.push(`initializer ${name}: ${stored} elements stored for dims [${dims.join(', ')}] (${count})`);
  }

  const nodeNames = new Set<string>();
  (graph.node ?? []).forEach((node, index) => {
    const label = node.name || `#${index} (${node.opType})`;
    if (!node.opType) problems.push(`node ${label} has no op_type`);
    if (node.name) {
      if (nodeNames.has(node.name)) problems.push(`node name ${node.name} is used twice`);
      nodeNames.add(node.name);
    }
    for (const input of node.input ?? []) {
      // An empty name is ONNX's "optional input omitted".
      if (input !== '' && !defined.has(input)) problems.push(`node ${label}: input ${input} is not defined before use`);
    }
    for (const output of node.output ?? []) {
      if (!output) problems.push(`node ${label} has an unnamed output`);
      else if (defined.has(output)) problems.push(`node ${label}: output ${output} is already defined`);
      defined.add(output);
    }
  });
  for (const output of outputs) if (output.name && !defined.has(output.name)) problems.push(`graph output ${output.name} is never produced`);
  return problems;
}

/** Throws OnnxValidationError listing every problem findOnnxProblems finds. */
export function validateOnnxModel(bytes: Uint8Array, source = 'ONNX model', minOpset = ONNX_OPSET): void {
  const problems = findOnnxProblems(bytes, minOpset);
  if (problems.length > 0) throw new OnnxValidationError(problems, source);
}
