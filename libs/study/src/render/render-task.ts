import type { PageSidecar, RenderOptions } from '@leadwise/render';
import type { Sex } from '@leadwise/ecg';

/** A page for a worker to render. */
export interface RenderTask {
  taskId: number;
  headerLocation: string;
  pngPath: string;
  options: RenderOptions;
  ageYears: number | null;
  sex: Sex | null;
}

export type RenderTaskResult =
  | { taskId: number; ok: true; sha256: string; widthPx: number; heightPx: number; sidecar: PageSidecar }
  | { taskId: number; ok: false; error: string };
