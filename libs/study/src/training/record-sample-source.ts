import { LEAD_NAMES, readWfdbRecord, type EcgRecording } from '@leadwise/ecg';
import { RHYTHM_LEAD, type LeadBox, type Sample, type SampleSource } from '@leadwise/models';
import { DEFAULT_TRAINING_AUGMENTATIONS, renderTrainingPixels, type AugmentationOptions, type PageGridStyle } from '@leadwise/render';

/** A record as training needs it: where its signals are and its binary label. */
export interface TrainingRecord {
  recordId: number;
  /** Header location as stored by the importer (`records.signal_path`). */
  signalPath: string;
  label: 0 | 1;
  /** Localised-statement targets per lead group (PTB-XL only; see localisedGroupTargets). */
  groupTargets?: readonly (0 | 1)[];
}

export interface RecordSampleSourceOptions {
  inputHeight: number;
  inputWidth: number;
  channels: 1 | 3;
  /** Page background: a grid colour (`red`) or grid-free (`none`). */
  gridStyle: PageGridStyle;
  /**
   * Distortions applied when a sample is asked for with an augmentation seed (default: the renderer's
   * DEFAULT_TRAINING_AUGMENTATIONS). null switches augmentation off: every seed gets the plain page,
   * the very pixels and boxes evaluation draws.
   */
  augmentations?: AugmentationOptions | null;
  /** Keep decoded recordings in memory (a 100 Hz PTB-XL record is 48 KB). */
  cacheRecordings?: boolean;
  /** Keep unaugmented pixels in memory (validation and test images are drawn once). */
  cachePlainPixels?: boolean;
}

interface PlainSample {
  ink: Uint8Array;
  leadBoxes: LeadBox[];
}

/**
 * Serves records as model inputs through libs/render's training path: each sample is drawn straight
 * into a typed array at the model's input size; augmented samples (training) are drawn anew for
 * every seed, unaugmented ones (validation, test, attribution) once and cached. Pixels are inverted
 * to the models' convention (0 = paper, 1 = ink); lead boxes are the 12 panel cells of the layout,
 * in LEAD_NAMES order, then the rhythm strip's cell, normalised to the image (after any geometric
 * augmentation).
 */
export class RecordSampleSource implements SampleSource {
  readonly size: number;
  readonly inputHeight: number;
  readonly inputWidth: number;
  readonly channels: 1 | 3;
  private readonly recordings = new Map<number, EcgRecording>();
  private readonly plain = new Map<number, PlainSample>();

  constructor(
    readonly records: readonly TrainingRecord[],
    private readonly options: RecordSampleSourceOptions,
  ) {
    this.size = records.length;
    this.inputHeight = options.inputHeight;
    this.inputWidth = options.inputWidth;
    this.channels = options.channels;
  }

  labels(): Uint8Array {
    return Uint8Array.from(this.records, (r) => r.label);
  }

  async sample(index: number, augmentationSeed: number | null): Promise<Sample> {
    const record = this.records[index];
    if (!record) throw new RangeError(`sample ${index} is outside 0..${this.size - 1}`);
    if (augmentationSeed === null || this.options.augmentations === null) {
      let plain = this.plain.get(index);
      if (!plain) {
        plain = await this.draw(record, {}, 0);
        if (this.options.cachePlainPixels ?? true) this.plain.set(index, plain);
      }
      return { pixels: toInkFloats(plain.ink), label: record.label, leadBoxes: plain.leadBoxes, groupTargets: record.groupTargets };
    }
    const drawn = await this.draw(record, this.options.augmentations ?? DEFAULT_TRAINING_AUGMENTATIONS, augmentationSeed);
    return { pixels: toInkFloats(drawn.ink), label: record.label, leadBoxes: drawn.leadBoxes, groupTargets: record.groupTargets };
  }

  private async recording(record: TrainingRecord): Promise<EcgRecording> {
    const cached = this.recordings.get(record.recordId);
    if (cached) return cached;
    const recording = await readWfdbRecord(record.signalPath);
    if (this.options.cacheRecordings ?? true) this.recordings.set(record.recordId, recording);
    return recording;
  }

  private async draw(record: TrainingRecord, augmentations: AugmentationOptions, seed: number): Promise<PlainSample> {
    const recording = await this.recording(record);
    const rendered = renderTrainingPixels(recording, {
      widthPx: this.inputWidth,
      heightPx: this.inputHeight,
      channels: this.channels,
      gridStyle: this.options.gridStyle,
      augmentations,
      seed,
    });
    const byLead = new Map(rendered.leadBoxes.filter((box) => box.kind === 'panel').map((box) => [box.lead, box.cellNorm]));
    const leadBoxes = LEAD_NAMES.map((lead): LeadBox => {
      const cell = byLead.get(lead);
      if (!cell) throw new Error(`the rendered page of record ${record.recordId} has no panel for lead ${lead}`);
      return [cell.x0, cell.y0, cell.x1, cell.y1];
    });
    const rhythm = rendered.leadBoxes.find((box) => box.kind === 'rhythm' && box.lead === RHYTHM_LEAD);
    if (rhythm) leadBoxes.push([rhythm.cellNorm.x0, rhythm.cellNorm.y0, rhythm.cellNorm.x1, rhythm.cellNorm.y1]);
    return { ink: rendered.pixels, leadBoxes };
  }
}

/** 255 = white paper, 0 = black ink  ->  0 = paper, 1 = ink. */
function toInkFloats(gray: Uint8Array): Float32Array {
  const out = new Float32Array(gray.length);
  for (let i = 0; i < gray.length; i++) out[i] = (255 - gray[i]) / 255;
  return out;
}
