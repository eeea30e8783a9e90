export * from './paper.ts';
export * from './render-options.ts';
export * from './page-layout.ts';
export * from './page-sidecar.ts';
export * from './page-renderer.ts';
export { encodePng, type RawImage } from './png-encoder.ts';
export { registerBundledFonts, LABEL_FONT_FAMILY } from './fonts.ts';
export { panelTracePoints, type TracePoints } from './trace-points.ts';
