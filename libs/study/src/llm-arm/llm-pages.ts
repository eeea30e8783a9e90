import { readWfdbRecord } from '@leadwise/ecg';
import { sha256Hex, type LlmImage } from '@leadwise/llm';
import { renderPage, type RenderOptions } from '@leadwise/render';

export type LlmImageStyle = 'grid' | 'none';

/**
 * Render options of the pages the LLMs see: the standard printout in red grid or grid-free, at the
 * chosen DPI. The header is off so the page carries no record id, age or sex for the model to use.
 */
export function llmRenderOptions(style: LlmImageStyle, dpi: number): RenderOptions {
  return { gridStyle: style === 'grid' ? 'red' : 'none', dpi, showHeader: false };
}

/** Reads a record from its stored header location and renders the page sent to the model. */
export async function renderLlmPage(signalPath: string, options: RenderOptions): Promise<LlmImage> {
  const recording = await readWfdbRecord(signalPath);
  const { png, sidecar } = renderPage(recording, options);
  const bytes = new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  return { bytes, mimeType: 'image/png', sha256: sha256Hex(bytes), widthPx: sidecar.widthPx, heightPx: sidecar.heightPx, dpi: sidecar.dpi };
}
