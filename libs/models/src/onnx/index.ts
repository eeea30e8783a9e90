export { exportOnnx, OnnxExportError, type ExportOnnxOptions } from './onnx-export.ts';
export { ONNX_IR_VERSION, ONNX_OPSET } from './onnx-graph-builder.ts';
export { METADATA_KEYS as ONNX_METADATA_KEYS, OnnxModelError, readOnnxModelInfo, type OnnxModelInfo } from './onnx-metadata.ts';
export { findOnnxProblems, OnnxValidationError, validateOnnxModel } from './onnx-validate.ts';
export { DEFAULT_INTRA_OP_THREADS, OnnxEngine, type OnnxEngineOptions } from './onnx-engine.ts';
