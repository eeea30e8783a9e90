import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createCanvas, loadImage, type Image } from '@napi-rs/canvas';
import { LEAD_GROUP_NAMES, LEAD_NAMES } from '@leadwise/ecg';
import { RHYTHM_LEAD, type LeadBox, type OnnxEngine, type Sample, type SampleSource } from '@leadwise/models';
import type { PageSidecar, Rect, PageGridStyle } from '@leadwise/render';
import { sidecarPathFor } from '../render/render-record-files.ts';
import { RecordSampleSource } from '../training/record-sample-source.ts';

export class PredictionInputError extends Error {
  override name = 'PredictionInputError';
}

export type PredictionInputKind = 'wfdb' | 'png';

export interface PredictionInput {
  path: string;
  kind: PredictionInputKind;
}

/** `.hea` (or a WFDB record path without extension whose `.hea` exists) is a record; `.png` a page with its `.json` sidecar. */
export function classifyPredictionInput(path: string): PredictionInput {
  if (/\.png$/i.test(path)) {
    const sidecar = sidecarPathFor(path);
    if (!existsSync(path)) throw new PredictionInputError(`${path}: no such file`);
    if (!existsSync(sidecar)) throw new PredictionInputError(`${path}: its sidecar ${sidecar} is missing (lead boxes and content area come from it)`);
    return { path, kind: 'png' };
  }
  const header = /\.hea$/i.test(path) ? path : `${path}.hea`;
  if (!existsSync(header)) throw new PredictionInputError(`${path}: neither a PNG page nor a WFDB header (${header} not found)`);
  return { path: header, kind: 'wfdb' };
}

export interface PredictionSourceOptions {
  inputHeight: number;
  inputWidth: number;
  channels: 1 | 3;
  /** Grid style WFDB records are rendered with: the one the model was trained on. */
  gridStyle: PageGridStyle;
}

/**
 * The inputs of `leadwise predict` as a SampleSource (labels unknown, reported as 0):
 * - WFDB records go through RecordSampleSource, the exact preprocessing of training and evaluation
 *   (renderTrainingPixels at the model's size, no augmentation, ink = (255 - gray) / 255, panel cells
 *   as lead boxes).
 * - PNG pages are cropped to the sidecar's content area (what training images show), reduced to
 *   the model's size keeping the darkest ink of each output pixel's source area (the training
 *   raster draws a trace at least one pixel wide at full ink; averaging would fade a 200 DPI trace
 *   to a third), converted to gray by BT.601 luma as the training raster does, and inverted the
 *   same way; lead boxes are the panel cells relative to the content area. Close to, not identical
 *   with, a page drawn at the model's size (onnx-run.spec.ts measures how close).
 */
export class PredictionInputSource implements SampleSource {
  readonly size: number;
  readonly inputHeight: number;
  readonly inputWidth: number;
  readonly channels: 1 | 3;
  private readonly records: RecordSampleSource;
  private readonly recordIndex = new Map<number, number>();

  constructor(
    readonly inputs: readonly PredictionInput[],
    options: PredictionSourceOptions,
  ) {
    this.size = inputs.length;
    this.inputHeight = options.inputHeight;
    this.inputWidth = options.inputWidth;
    this.channels = options.channels;
    const wfdb = inputs.flatMap((input, index) => (input.kind === 'wfdb' ? [index] : []));
    wfdb.forEach((inputIndex, recordIndex) => this.recordIndex.set(inputIndex, recordIndex));
    this.records = new RecordSampleSource(
      wfdb.map((inputIndex) => ({ recordId: inputIndex, signalPath: inputs[inputIndex].path, label: 0 as const })),
      { ...options, cacheRecordings: false, cachePlainPixels: false },
    );
  }

  labels(): Uint8Array {
    return new Uint8Array(this.size);
  }

  async sample(index: number): Promise<Sample> {
    const input = this.inputs[index];
    if (!input) throw new RangeError(`input ${index} is outside 0..${this.size - 1}`);
    if (input.kind === 'wfdb') return this.records.sample(this.recordIndex.get(index)!, null);
    return this.pageSample(input.path);
  }

  private async pageSample(pngPath: string): Promise<Sample> {
    const sidecarPath = sidecarPathFor(pngPath);
    let sidecar: PageSidecar;
    try {
      sidecar = JSON.parse(await readFile(sidecarPath, 'utf8')) as PageSidecar;
    } catch (error) {
      throw new PredictionInputError(`${sidecarPath}: cannot read the page sidecar: ${(error as Error).message}`);
    }
    if (sidecar.format !== 'leadwise-page/1') throw new PredictionInputError(`${sidecarPath}: format is ${String(sidecar.format)}, expected leadwise-page/1`);
    const content = sidecar.layout?.contentPx;
    if (!content || !(content.x1 > content.x0) || !(content.y1 > content.y0)) throw new PredictionInputError(`${sidecarPath}: layout.contentPx is missing or empty`);
    const image = await loadImage(await readFile(pngPath)).catch((error: Error) => {
      throw new PredictionInputError(`${pngPath}: not a readable PNG: ${error.message}`);
    });
    const contentWidth = content.x1 - content.x0;
    const contentHeight = content.y1 - content.y0;
    const pixels = downsampleInk(image, content, this.inputWidth, this.inputHeight, this.channels);
    const panels = new Map(sidecar.leadBoxes.filter((box) => box.kind === 'panel').map((box) => [box.lead, box.cell]));
    const relative = (cell: { x0: number; y0: number; x1: number; y1: number }): LeadBox => [
      (cell.x0 - content.x0) / contentWidth,
      (cell.y0 - content.y0) / contentHeight,
      (cell.x1 - content.x0) / contentWidth,
      (cell.y1 - content.y0) / contentHeight,
    ];
    const leadBoxes = LEAD_NAMES.map((lead): LeadBox => {
      const cell = panels.get(lead);
      if (!cell) throw new PredictionInputError(`${sidecarPath}: leadBoxes has no panel for lead ${lead}`);
      return relative(cell);
    });
    // The rhythm strip (lead II), as training sees it; without one, batching repeats lead II's panel.
    const rhythm = sidecar.leadBoxes.find((box) => box.kind === 'rhythm' && box.lead === RHYTHM_LEAD);
    if (rhythm) leadBoxes.push(relative(rhythm.cell));
    return { pixels, label: 0, leadBoxes };
  }
}

/** The sidecar's content area of a decoded page at `widthPx` x `heightPx`, as ink in [0, 1] (max-ink reduction). */
function downsampleInk(image: Image, content: Rect, widthPx: number, heightPx: number, channels: 1 | 3): Float32Array {
  const x0 = Math.max(0, Math.floor(content.x0));
  const y0 = Math.max(0, Math.floor(content.y0));
  const sourceWidth = Math.max(1, Math.min(image.width, Math.ceil(content.x1)) - x0);
  const sourceHeight = Math.max(1, Math.min(image.height, Math.ceil(content.y1)) - y0);
  const canvas = createCanvas(sourceWidth, sourceHeight);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, sourceWidth, sourceHeight);
  context.drawImage(image, x0, y0, sourceWidth, sourceHeight, 0, 0, sourceWidth, sourceHeight);
  const rgba = context.getImageData(0, 0, sourceWidth, sourceHeight).data;
  const values = new Float32Array(widthPx * heightPx * channels);
  const ink = new Float32Array(channels);
  for (let row = 0; row < heightPx; row += 1) {
    const top = Math.floor((row * sourceHeight) / heightPx);
    const bottom = Math.max(top + 1, Math.floor(((row + 1) * sourceHeight) / heightPx));
    for (let column = 0; column < widthPx; column += 1) {
      const left = Math.floor((column * sourceWidth) / widthPx);
      const right = Math.max(left + 1, Math.floor(((column + 1) * sourceWidth) / widthPx));
      ink.fill(0);
      for (let y = top; y < bottom; y += 1) {
        for (let x = left; x < right; x += 1) {
          const p = (y * sourceWidth + x) * 4;
          if (channels === 1) {
            ink[0] = Math.max(ink[0], (255 - Math.round(0.299 * rgba[p] + 0.587 * rgba[p + 1] + 0.114 * rgba[p + 2])) / 255);
          } else {
            for (let c = 0; c < 3; c += 1) ink[c] = Math.max(ink[c], (255 - rgba[p + c]) / 255);
          }
        }
      }
      values.set(ink, (row * widthPx + column) * channels);
    }
  }
  return values;
}

export interface FilePrediction {
  path: string;
  kind: PredictionInputKind;
  /** P(abnormal). */
  probability: number;
  /** LeadGroupECG's attention per lead group (LEAD_GROUP_NAMES order), null for the baselines. */
  groupWeights: Record<string, number> | null;
}

/** Scores files (WFDB records and PNG pages) with an ONNX engine, batch by batch. */
export async function predictFiles(
  engine: OnnxEngine,
  paths: readonly string[],
  options: { gridStyle?: PageGridStyle; batchSize?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<FilePrediction[]> {
  const inputs = paths.map(classifyPredictionInput);
  const { inputHeight, inputWidth, channels } = engine.info.modelConfig;
  const source = new PredictionInputSource(inputs, { inputHeight, inputWidth, channels, gridStyle: options.gridStyle ?? engine.info.gridStyle ?? 'red' });
  const predictions = await engine.predictSource(source, options.batchSize ?? 32, options.onProgress);
  return inputs.map((input, i) => ({
    path: input.path,
    kind: input.kind,
    probability: predictions.probabilities[i],
    groupWeights: predictions.groupAttention
      ? Object.fromEntries(LEAD_GROUP_NAMES.map((group, g) => [group, predictions.groupAttention![i * LEAD_GROUP_NAMES.length + g]]))
      : null,
  }));
}
