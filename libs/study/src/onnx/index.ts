export { exportRunToOnnx, OnnxRunExportError, writeRunOnnx, type RunOnnxModel, type WriteRunOnnxResult } from './export-run-onnx.ts';
export {
  classifyPredictionInput,
  PredictionInputError,
  PredictionInputSource,
  predictFiles,
  type FilePrediction,
  type PredictionInput,
  type PredictionInputKind,
  type PredictionSourceOptions,
} from './prediction-inputs.ts';
