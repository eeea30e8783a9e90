import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractTarArchiveCached, LEAD_GROUP_NAMES, resolveCacheDir, resolveEcgDataDir } from '@leadwise/ecg';
import { runCli } from '../testing.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('leadwise predict', () => {
  it('prints P(abnormal) and the five group weights for a real WFDB record with an exported LeadGroupECG model', async () => {
    const root = await extractTarArchiveCached(join(resolveEcgDataDir(), 'chapman-shaoxing-subset-400.tar.xz'), resolveCacheDir());
    const header = join(root, 'chapman_shaoxing', 'WFDBRecords', '01', '010', 'JS00001.hea');
    const dir = await mkdtemp(join(tmpdir(), 'leadwise-cli-predict-'));
    dirs.push(dir);
    // Dynamic like the command itself (the CLI loads tfjs lazily).
    const { createModel, exportOnnx, parseModelConfig } = await import('@leadwise/models');
    const network = createModel(parseModelConfig({ architecture: 'leadgroup', inputHeight: 64, inputWidth: 96, widthMultiplier: 0.25, seed: 2 }));
    const modelPath = join(dir, 'model.onnx');
    await writeFile(modelPath, exportOnnx(network, { trainingRunId: 5, gridStyle: 'none' }));
    network.model.dispose();

    const { stdout, exitCode } = await runCli(['predict', '--model', modelPath, '--threads', '1', '--json', header]);
    expect(exitCode).toBe(0);
    const printed = JSON.parse(stdout);
    expect(printed).toMatchObject({ model: modelPath, architecture: 'leadgroup', trainingRunId: 5 });
    expect(printed.predictions).toHaveLength(1);
    const [prediction] = printed.predictions;
    expect(prediction).toMatchObject({ path: header, kind: 'wfdb' });
    expect(prediction.probability).toBeGreaterThan(0);
    expect(prediction.probability).toBeLessThan(1);
    expect(Object.keys(prediction.groupWeights)).toEqual([...LEAD_GROUP_NAMES]);
    const total = Object.values(prediction.groupWeights as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 5);
  });

  it('refuses --model together with --run', async () => {
    const { stderr, exitCode } = await runCli(['predict', '--model', 'x.onnx', '--run', '1', 'a.hea']);
    expect(exitCode).not.toBe(0);
    expect(stderr).toContain('give exactly one of --model <file> and --run <id>');
  });
});
