import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

/** The family every label and header uses; registered from the bundled DejaVu Sans, never a system font. */
export const LABEL_FONT_FAMILY = 'Leadwise DejaVu Sans';

let registered = false;

/** Registers the bundled TTF once per process (and per worker thread); throws if the file cannot be loaded. */
export function registerBundledFonts(): void {
  if (registered) return;
  const fontDir = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  const path = join(fontDir, 'DejaVuSans.ttf');
  if (!GlobalFonts.registerFromPath(path, LABEL_FONT_FAMILY)) throw new Error(`could not load the label font ${path}`);
  registered = true;
}
