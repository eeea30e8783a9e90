import { Worker } from 'node:worker_threads';
import type { RenderTask, RenderTaskResult } from './render-task.ts';

/**
 * A fixed set of worker threads each rendering one page at a time. PNG drawing and encoding are
 * CPU-bound and synchronous, so threads (not async concurrency) are what uses both cores.
 */
export class RenderPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: { task: RenderTask; resolve: (result: RenderTaskResult) => void }[] = [];
  private readonly pending = new Map<number, (result: RenderTaskResult) => void>();
  private failure: Error | null = null;

  constructor(size: number) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const worker = new Worker(new URL('./render-worker-entry.mjs', import.meta.url));
      worker.on('message', (result: RenderTaskResult) => {
        const resolve = this.pending.get(result.taskId);
        this.pending.delete(result.taskId);
        resolve?.(result);
        this.release(worker);
      });
      worker.on('error', (error) => {
        this.failure = error;
        for (const [taskId, resolve] of this.pending) resolve({ taskId, ok: false, error: `render worker failed: ${error.message}` });
        this.pending.clear();
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  run(task: RenderTask): Promise<RenderTaskResult> {
    if (this.failure) return Promise.resolve({ taskId: task.taskId, ok: false, error: `render worker failed: ${this.failure.message}` });
    return new Promise((resolve) => {
      const worker = this.idle.pop();
      if (worker) this.dispatch(worker, task, resolve);
      else this.waiting.push({ task, resolve });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private dispatch(worker: Worker, task: RenderTask, resolve: (result: RenderTaskResult) => void): void {
    this.pending.set(task.taskId, resolve);
    worker.postMessage(task);
  }

  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) this.dispatch(worker, next.task, next.resolve);
    else this.idle.push(worker);
  }
}
