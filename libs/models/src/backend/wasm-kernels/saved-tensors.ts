import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';

interface EngineInternals {
  clone(x: tf.Tensor): tf.Tensor;
  backend: { incRef(dataId: object): void };
  backendName: string;
  state: { gradientDepth: number; tensorInfo: Map<object, { backend: unknown }> };
  makeTensorFromTensorInfo(info: TensorInfo, backend?: unknown): tf.Tensor;
}

let stockClone: EngineInternals['clone'] | null = null;

/**
 * tfjs-core keeps every tensor a gradient will need through `engine.clone`: an Identity kernel call
 * through the whole engine plus a tape node for the clone, about 200 of each per ResNet18 step. On
 * the wasm backend, whose tensors no kernel writes in place (which is why Leadwise's Identity shares
 * the buffer, identity.ts), the clone is made directly: one more reference on the data and a tensor
 * over it, the same bits without the kernel call.
 *
 * The clone's tape node only matters to a gradient of a gradient: the saved tensor is read by
 * gradient functions, never by the forward pass, so a first-order backward pass never reaches that
 * node. Inside nested gradient scopes (`gradientDepth` above 1) the stock clone runs, node and all.
 * Idempotent.
 */
export function patchEngineClone(): void {
  if (stockClone) return;
  const engine = tf.engine() as unknown as EngineInternals;
  const stock = engine.clone;
  stockClone = stock;
  engine.clone = function clone(this: EngineInternals, x: tf.Tensor): tf.Tensor {
    const backend = this.backend;
    const shared =
      this.state.gradientDepth <= 1 &&
      x.dtype !== 'string' &&
      this.backendName === 'wasm' &&
      this.state.tensorInfo.get(x.dataId)?.backend === backend;
    if (!shared) return stock.call(this, x);
    backend.incRef(x.dataId);
    return this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }, backend);
  };
}

export function unpatchEngineClone(): void {
  if (!stockClone) return;
  (tf.engine() as unknown as EngineInternals).clone = stockClone;
  stockClone = null;
}
