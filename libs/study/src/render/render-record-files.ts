import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readWfdbRecord, type EcgRecording } from '@leadwise/ecg';
import { renderPage, type PageSidecar, type RenderOptions } from '@leadwise/render';

export interface RenderedFiles {
  pngPath: string;
  sidecarPath: string;
  sha256: string;
  sizeBytes: number;
  sidecar: PageSidecar;
}

/** `page.png` -> `page.json`: the sidecar always sits beside its image. */
export function sidecarPathFor(pngPath: string): string {
  return pngPath.replace(/\.png$/i, '') + '.json';
}

/** Renders a recording and writes the PNG and its JSON sidecar; returns the PNG's sha256. */
export async function writeRenderedPage(recording: EcgRecording, pngPath: string, options: RenderOptions): Promise<RenderedFiles> {
  const { png, sidecar } = renderPage(recording, options);
  const sidecarPath = sidecarPathFor(pngPath);
  await mkdir(dirname(pngPath), { recursive: true });
  await Promise.all([writeFile(pngPath, png), writeFile(sidecarPath, `${JSON.stringify(sidecar, null, 2)}\n`)]);
  return { pngPath, sidecarPath, sha256: createHash('sha256').update(png).digest('hex'), sizeBytes: png.length, sidecar };
}

/**
 * Reads a WFDB record (header path, or `zip!/entry.hea`) and writes its page. Demographics the
 * header lacks (PTB-XL keeps them in its table) can be passed in.
 */
export async function renderRecordFile(
  headerLocation: string,
  pngPath: string,
  options: RenderOptions,
  demographics: Pick<EcgRecording, 'ageYears' | 'sex'> = {},
): Promise<RenderedFiles> {
  const recording = await readWfdbRecord(headerLocation);
  return writeRenderedPage(
    { ...recording, ageYears: demographics.ageYears ?? recording.ageYears, sex: demographics.sex ?? recording.sex },
    pngPath,
    options,
  );
}
