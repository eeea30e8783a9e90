import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consistentTwelveLeadAdu, encodeFormat16Record } from '@leadwise/ecg/testing';
import { RecordSampleSource, type RecordSampleSourceOptions } from './record-sample-source.ts';

let workDir: string;
let headerPath: string;
const options: RecordSampleSourceOptions = { inputHeight: 64, inputWidth: 96, channels: 1, gridStyle: 'red' };

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'leadwise-sample-source-'));
  const { header, dat, datName } = encodeFormat16Record({ recordName: 'rec1', leadsAdu: consistentTwelveLeadAdu(1000) });
  headerPath = join(workDir, 'rec1.hea');
  writeFileSync(headerPath, header);
  writeFileSync(join(workDir, datName), dat);
});

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('RecordSampleSource augmentation switch', () => {
  const records = [{ recordId: 1, signalPath: '', label: 1 as const }];

  it('with augmentation off gives training exactly the page evaluation draws, whatever the seed', async () => {
    const rows = records.map((r) => ({ ...r, signalPath: headerPath }));
    const evaluation = await new RecordSampleSource(rows, options).sample(0, null);
    const training = new RecordSampleSource(rows, { ...options, augmentations: null, cachePlainPixels: true });
    for (const seed of [1, 77, 123456]) {
      const sample = await training.sample(0, seed);
      expect(sample.label).toBe(1);
      expect(sample.leadBoxes).toEqual(evaluation.leadBoxes);
      expect(sample.pixels).toEqual(evaluation.pixels);
    }
  });

  it('with the default augmentations draws a different page for each seed', async () => {
    const rows = records.map((r) => ({ ...r, signalPath: headerPath }));
    const source = new RecordSampleSource(rows, options);
    const plain = await source.sample(0, null);
    const [a, b] = [await source.sample(0, 1), await source.sample(0, 2)];
    const differing = (x: Float32Array, y: Float32Array) => x.reduce((n, v, i) => n + (Math.abs(v - y[i]) > 1e-6 ? 1 : 0), 0);
    expect(differing(a.pixels, plain.pixels)).toBeGreaterThan(100);
    expect(differing(a.pixels, b.pixels)).toBeGreaterThan(100);
    // Same seed, same page: augmentation is reproducible.
    expect((await source.sample(0, 1)).pixels).toEqual(a.pixels);
  });
});
