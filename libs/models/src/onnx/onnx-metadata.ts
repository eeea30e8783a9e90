import { parseStoredModelConfig } from '../config.ts';
import type { ModelConfig } from '../types.ts';
import { onnx } from './onnx-graph-builder.ts';
import type { PageGridStyle } from '@leadwise/render';

/** Keys of the exported model's metadata_props (all values are strings). */
export const METADATA_KEYS = {
  format: 'leadwise.format_version',
  architecture: 'leadwise.architecture',
  backbone: 'leadwise.backbone',
  inputHeight: 'leadwise.input_height',
  inputWidth: 'leadwise.input_width',
  channels: 'leadwise.channels',
  inputs: 'leadwise.inputs',
  outputs: 'leadwise.outputs',
  normalisation: 'leadwise.normalisation',
  leadBoxes: 'leadwise.lead_boxes',
  groups: 'leadwise.group_order',
  label: 'leadwise.label',
  modelConfig: 'leadwise.model_config',
  trainingRunId: 'leadwise.training_run_id',
  gridStyle: 'leadwise.grid_style',
} as const;

export class OnnxModelError extends Error {
  override name = 'OnnxModelError';
}

/** What a runtime needs to know about an exported Leadwise model, read back from its metadata. */
export interface OnnxModelInfo {
  modelConfig: ModelConfig;
  inputNames: string[];
  outputNames: string[];
  usesLeadBoxes: boolean;
  /** Boxes per sample the lead_boxes input takes (13 = panels + rhythm strip, 12 = panels), 0 without it. */
  leadBoxCount: number;
  hasGroupAttention: boolean;
  trainingRunId: number | null;
  /** Page background the model was trained on ('red' grid or 'none'), when the export recorded it. */
  gridStyle: PageGridStyle | null;
  metadata: Record<string, string>;
}

export function decodeOnnxModel(bytes: Uint8Array, source = 'ONNX model'): InstanceType<typeof onnx.ModelProto> {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new OnnxModelError(`${source} is not an ONNX ModelProto: ${(error as Error).message}`);
  }
}

/** Reads the Leadwise metadata of an exported model; throws naming the missing key. */
export function readOnnxModelInfo(bytes: Uint8Array, source = 'ONNX model'): OnnxModelInfo {
  const model = decodeOnnxModel(bytes, source);
  const metadata = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const configText = metadata[METADATA_KEYS.modelConfig];
  if (!configText) throw new OnnxModelError(`${source} has no ${METADATA_KEYS.modelConfig} metadata (not exported by Leadwise?)`);
  let configJson: unknown;
  try {
    configJson = JSON.parse(configText);
  } catch (error) {
    throw new OnnxModelError(`${source} metadata ${METADATA_KEYS.modelConfig} is not JSON: ${(error as Error).message}`);
  }
  const modelConfig = parseStoredModelConfig(configJson, `${source} metadata ${METADATA_KEYS.modelConfig}`);
  const graph = model.graph;
  const inputNames = (graph?.input ?? []).map((v) => v.name ?? '');
  const outputNames = (graph?.output ?? []).map((v) => v.name ?? '');
  const runText = metadata[METADATA_KEYS.trainingRunId] ?? '';
  const grid = metadata[METADATA_KEYS.gridStyle];
  return {
    modelConfig,
    inputNames,
    outputNames,
    usesLeadBoxes: inputNames.length > 1,
    leadBoxCount: inputNames.length > 1 ? leadBoxDimension(graph?.input?.[1], source) : 0,
    hasGroupAttention: outputNames.length > 1,
    trainingRunId: /^\d+$/.test(runText) ? Number(runText) : null,
    gridStyle: grid === 'red' || grid === 'none' ? grid : null,
    metadata,
  };
}

/** The static second dimension of the lead_boxes input ([batch, boxes, 4]). */
function leadBoxDimension(input: { type?: { tensorType?: { shape?: { dim?: { dimValue?: unknown }[] | null } | null } | null } | null } | null | undefined, source: string): number {
  const value = input?.type?.tensorType?.shape?.dim?.[1]?.dimValue;
  const boxes = Number(value);
  if (!Number.isInteger(boxes) || boxes < 1) throw new OnnxModelError(`${source}: the lead_boxes input has no static box dimension`);
  return boxes;
}
