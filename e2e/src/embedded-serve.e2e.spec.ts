import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEcgDataDir } from '@leadwise/ecg';
import { graphql, runLeadwise, startLeadwise, waitFor, writeChapmanManifest, type LeadwiseProcess } from './leadwise-processes.ts';

// Embedded mode: no DATABASE_URL, so `leadwise serve` runs the API and an in-process worker on
// PGlite, with pg-boss talking to the same PGlite instance. One command serves everything.
const MINUTES = 60_000;

describe('leadwise serve on embedded PGlite', () => {
  let workDir: string;
  let serve: LeadwiseProcess;
  let url: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'leadwise-embedded-'));
    const extracted = spawnSync('tar', ['-xJf', join(resolveEcgDataDir(), 'chapman-shaoxing-subset-400.tar.xz'), '-C', workDir]);
    if (extracted.status !== 0) throw new Error(`tar failed: ${extracted.stderr.toString()}`);
    const manifest = await writeChapmanManifest(join(workDir, 'chapman_shaoxing'), 24);
    const env = { DATABASE_URL: '', LEADWISE_HOME: join(workDir, 'home'), LEADWISE_API_KEY: 'embedded-key' };
    await runLeadwise(['import', 'manifest', manifest, '--name', 'mini'], env);
    serve = startLeadwise(['serve', '--port', '0'], env);
    const started = await serve.firstJsonLine();
    expect(started).toMatchObject({ driver: 'pglite' });
    expect(started.worker).toEqual(expect.any(String));
    url = String(started.url);
  }, 10 * MINUTES);

  afterAll(async () => {
    await serve?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 2 * MINUTES);

  it('runs a training job launched through the API in the same process', async () => {
    const { createExperiment } = await graphql<{ createExperiment: { id: number } }>(
      url,
      `mutation { createExperiment(input: { config: { name: "embedded", datasets: { internal: { kind: "manifest", name: "mini", path: "mini" } }, models: ["resnet18"], seeds: [1] } }) { id } }`,
      {},
      'embedded-key',
    );
    const { launchRun } = await graphql<{ launchRun: { id: number; run: { id: number } } }>(
      url,
      `mutation($e: Int!) { launchRun(input: { experimentId: $e, kind: TRAIN, model: "resnet18", dataset: "mini",
        params: { epochs: 1, batchSize: 8, maxTrainSamples: 24, maxValSamples: 12, evaluateMaxSamples: 12 } }) { id run { id } } }`,
      { e: createExperiment.id },
      'embedded-key',
    );
    await waitFor(
      'the embedded job',
      async () => {
        const { job } = await graphql<{ job: { status: string; error: string | null } }>(url, `query($id: Int!) { job(id: $id) { status error } }`, { id: launchRun.id });
        if (job.status === 'FAILED') throw new Error(`job failed: ${job.error}\n${serve.output().slice(-3000)}`);
        return job.status === 'FINISHED';
      },
      8 * MINUTES,
      () => serve.output().slice(-3000),
    );
    const { runs } = await graphql<{ runs: { id: number; status: string; parentRun: { id: number } | null }[] }>(
      url,
      `query($e: Int!) { runs(experimentId: $e, kind: EVALUATE) { id status parentRun { id } } }`,
      { e: createExperiment.id },
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'FINISHED', parentRun: { id: launchRun.run.id } });
    const { predictions } = await graphql<{ predictions: { totalCount: number } }>(url, `query($r: Int!) { predictions(runId: $r) { totalCount } }`, { r: runs[0]!.id });
    expect(predictions.totalCount).toBe(12);
  }, 10 * MINUTES);
});
