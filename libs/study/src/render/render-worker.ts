/** Worker thread body: renders the pages it is sent, one at a time, and answers with their checksums. */
import { parentPort } from 'node:worker_threads';
import { renderRecordFile } from './render-record-files.ts';
import type { RenderTask, RenderTaskResult } from './render-task.ts';

if (!parentPort) throw new Error('render-worker.ts must run in a worker thread');
const port = parentPort;
port.on('message', (task: RenderTask) => {
  renderRecordFile(task.headerLocation, task.pngPath, task.options, { ageYears: task.ageYears, sex: task.sex }).then(
    (files) =>
      port.postMessage({
        taskId: task.taskId,
        ok: true,
        sha256: files.sha256,
        widthPx: files.sidecar.widthPx,
        heightPx: files.sidecar.heightPx,
        sidecar: files.sidecar,
      } satisfies RenderTaskResult),
    (error: unknown) =>
      port.postMessage({
        taskId: task.taskId,
        ok: false,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      } satisfies RenderTaskResult),
  );
});
