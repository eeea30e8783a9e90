/**
 * Speed of libs/metrics on large test sets: ROC-AUC, average precision and the paired DeLong test
 * (Sun & Xu's O(n log n) algorithm) on 1,000,000 samples. Target: AUC + DeLong under 1 s.
 *
 *   npx tsx tools/bench/metrics.ts [samples] [repeats]
 *
 * Prints one JSON object: milliseconds per call (best and median of `repeats`, after one warm-up).
 */
import { averagePrecision, delongPairedTest, rocAuc } from '@leadwise/metrics';
import { createRandom } from '@leadwise/ecg';

const samples = Number(process.argv[2] ?? 1_000_000);
const repeats = Number(process.argv[3] ?? 3);

// Two correlated binormal models on the same samples, rounded to 1e-4 so that ties occur as they
// do with real model outputs (float32 probabilities).
const rng = createRandom(2014);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
const labels = new Uint8Array(samples);
const scoresA = new Float64Array(samples);
const scoresB = new Float64Array(samples);
for (let i = 0; i < samples; i++) {
  labels[i] = rng() < 0.3 ? 1 : 0;
  const shared = gaussian();
  scoresA[i] = Math.round((shared + 1.2 * labels[i] + 0.5 * gaussian()) * 1e4) / 1e4;
  scoresB[i] = Math.round((shared + 1.0 * labels[i] + 0.6 * gaussian()) * 1e4) / 1e4;
}

interface Timing {
  wallBestMs: number;
  wallMedianMs: number;
  /** CPU time of this process (all its threads, GC included); less sensitive to a shared machine. */
  cpuBestMs: number;
  cpuMedianMs: number;
}

function time<T>(run: () => T): Timing & { result: T } {
  let result = run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const startCpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    result = run();
    wall.push(Number(process.hrtime.bigint() - start) / 1e6);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / 1000);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const mid = Math.floor(repeats / 2);
  return { wallBestMs: round(wall[0]), wallMedianMs: round(wall[mid]), cpuBestMs: round(cpu[0]), cpuMedianMs: round(cpu[mid]), result };
}

const timing = ({ result: _result, ...t }: Timing & { result: unknown }): Timing => t;

const round = (x: number) => Math.round(x * 10) / 10;

const auc = time(() => rocAuc(labels, scoresA).auc);
const ap = time(() => averagePrecision(labels, scoresA));
const delong = time(() => delongPairedTest(labels, scoresA, scoresB));
const aucPlusDelong = time(() => {
  rocAuc(labels, scoresA);
  return delongPairedTest(labels, scoresA, scoresB);
});

console.log(
  JSON.stringify(
    {
      samples,
      positives: labels.reduce((s, y) => s + y, 0),
      repeats,
      node: process.version,
      rocAuc: timing(auc),
      averagePrecision: timing(ap),
      delongPaired: timing(delong),
      aucPlusDelongPaired: timing(aucPlusDelong),
      check: { aucA: delong.result.aucA, aucB: delong.result.aucB, z: delong.result.z, pValue: delong.result.pValue },
    },
    null,
    2,
  ),
);
