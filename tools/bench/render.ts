/**
 * Rendering throughput (issue 3): PNG pages per second at 200 DPI (letter, red grid and grid-free)
 * and training arrays per second at the default training size (325 x 212 gray, with and without
 * the default augmentations), each on one worker thread and on two. Aims: 20 PNG pages/s, 500 arrays/s.
 *
 *   npx tsx tools/bench/render.ts [--seconds 4] [--threads 1,2] [--matplotlib]
 *
 * Records: PTB-XL 00001 (100 Hz) and Chapman JS00001 (500 Hz), alternating, read from the shared
 * data. Prints one JSON object: per case, items/s by wall clock and CPU ms per item (the latter is
 * less disturbed when other work shares the machine). `--matplotlib` also times
 * tools/bench/render-matplotlib.py (a comparable page drawn the way ecg-image-kit draws it) with
 * /usr/bin/python3, for reference.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { EcgRecording } from '@leadwise/ecg';
import { DEFAULT_TRAINING_AUGMENTATIONS, renderPage, renderTrainingPixels } from '@leadwise/render';
import { readExampleRecord } from '@leadwise/render/testing';

type CaseName = 'png-red-200dpi' | 'png-none-200dpi' | 'train-325x212' | 'train-325x212-augmented';
const CASES: CaseName[] = ['png-red-200dpi', 'png-none-200dpi', 'train-325x212', 'train-325x212-augmented'];

interface WorkerInput {
  caseName: CaseName;
  seconds: number;
}

interface WorkerOutput {
  items: number;
  wallMs: number;
  cpuMs: number;
  bytes: number;
}

function renderOne(caseName: CaseName, recording: EcgRecording, i: number): number {
  switch (caseName) {
    case 'png-red-200dpi':
      return renderPage(recording, { gridStyle: 'red', dpi: 200 }).png.length;
    case 'png-none-200dpi':
      return renderPage(recording, { gridStyle: 'none', dpi: 200 }).png.length;
    case 'train-325x212':
      return renderTrainingPixels(recording, { gridStyle: 'none' }).pixels.length;
    case 'train-325x212-augmented':
      return renderTrainingPixels(recording, { gridStyle: 'none', augmentations: DEFAULT_TRAINING_AUGMENTATIONS, seed: i }).pixels.length;
  }
}

async function runInWorker(input: WorkerInput): Promise<WorkerOutput> {
  const recordings = [await readExampleRecord('ptbxl-00001'), await readExampleRecord('chapman-JS00001')];
  // Warm-up: JIT, glyph cache, zlib.
  for (let i = 0; i < 6; i++) renderOne(input.caseName, recordings[i % 2], i);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let items = 0;
  let bytes = 0;
  while (performance.now() - t0 < input.seconds * 1000) {
    bytes += renderOne(input.caseName, recordings[items % 2], items);
    items++;
  }
  const wallMs = performance.now() - t0;
  // In a worker, process.cpuUsage() is the whole process; the parent divides by the thread count.
  const cpu = process.cpuUsage(cpu0);
  return { items, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, bytes };
}

/** Worker threads need the tsx loader registered inside them (see libs/study/src/render/render-worker-entry.mjs). */
function startWorker(input: WorkerInput): Promise<WorkerOutput> {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: input });
    worker.once('message', (output: WorkerOutput) => {
      resolve(output);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

async function main(): Promise<void> {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i++) {
    const key = process.argv[i].replace(/^--/, '');
    const value = process.argv[i + 1];
    if (value === undefined || value.startsWith('--')) {
      args.set(key, 'true');
    } else {
      args.set(key, value);
      i++;
    }
  }
  const seconds = Number(args.get('seconds') ?? 4);
  const threadCounts = (args.get('threads') ?? '1,2').split(',').map(Number);
  const results: Record<string, unknown>[] = [];
  for (const caseName of CASES) {
    for (const threads of threadCounts) {
      const outputs = await Promise.all(Array.from({ length: threads }, () => startWorker({ caseName, seconds })));
      const items = outputs.reduce((sum, o) => sum + o.items, 0);
      const wallS = Math.max(...outputs.map((o) => o.wallMs)) / 1000;
      results.push({
        case: caseName,
        threads,
        items,
        perSecond: Number((items / wallS).toFixed(1)),
        // Each worker measured the whole process's CPU over its (overlapping) window: all threads' work.
        cpuMsPerItem: Number((outputs.reduce((sum, o) => sum + o.cpuMs, 0) / outputs.length / items).toFixed(2)),
        meanBytes: Math.round(outputs.reduce((sum, o) => sum + o.bytes, 0) / items),
      });
      process.stderr.write(`${JSON.stringify(results[results.length - 1])}\n`);
    }
  }
  let matplotlib: unknown = null;
  if (args.has('matplotlib')) {
    const recording = await readExampleRecord('chapman-JS00001');
    const signalsFile = join(tmpdir(), 'leadwise-bench-render-signals.json');
    writeFileSync(signalsFile, JSON.stringify({ fs: recording.samplingRateHz, leads: recording.leadNames, signals: recording.signalsMv.map((s) => Array.from(s)) }));
    const script = join(dirname(fileURLToPath(import.meta.url)), 'render-matplotlib.py');
    const run = spawnSync('/usr/bin/python3', [script, signalsFile, String(seconds)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`matplotlib reference failed: ${run.stderr}`);
    matplotlib = JSON.parse(run.stdout);
  }
  process.stdout.write(`${JSON.stringify({ machineCores: (await import('node:os')).availableParallelism(), seconds, results, matplotlib }, null, 2)}\n`);
}

if (isMainThread) {
  await main();
} else {
  const output = await runInWorker(workerData as WorkerInput);
  parentPort!.postMessage(output);
}
