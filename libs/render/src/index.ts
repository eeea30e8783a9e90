export * from './paper.ts';
export * from './render-options.ts';
export * from './page-layout.ts';
export * from './page-sidecar.ts';
export * from './page-renderer.ts';
export { encodePng, readPngDpi, withPngDpi, type RawImage } from './png-encoder.ts';
export { registerBundledFonts, LABEL_FONT_FAMILY } from './fonts.ts';
export { panelTracePoints, type TracePoints } from './trace-points.ts';
export * from './training-pixels.ts';
export {
  DEFAULT_TRAINING_AUGMENTATIONS,
  drawAugmentations,
  type AugmentationOptions,
  type AppliedAugmentations,
} from './augmentations.ts';
export type { PixelImage } from './pixel-raster.ts';
