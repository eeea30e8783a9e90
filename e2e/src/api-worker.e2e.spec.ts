import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdTableLock } from '@leadwise/db/testing';
import { resolveEcgDataDir } from '@leadwise/ecg';
import {
  createScratchDatabase,
  graphql,
  runLeadwise,
  startLeadwise,
  waitFor,
  writeChapmanManifest,
  type LeadwiseProcess,
} from './leadwise-processes.ts';

// The real thing: `leadwise serve` (API only) and `leadwise worker` processes against a scratch
// PostgreSQL database, a tiny real dataset (48 Chapman-Shaoxing recordings imported through
// `leadwise import manifest`), and real training (libs/study trainRun + evaluateRun on tfjs).
// Everything goes through GraphQL: create an experiment, launch training, read the results back.

const API_KEY = 'e2e-key';
/** A training run small enough for CI: one epoch over 24 pages at the quick profile's size. */
const TINY_TRAINING = { epochs: 1, batchSize: 8, maxTrainSamples: 24, maxValSamples: 12, evaluateMaxSamples: 12 };
const MINUTES = 60_000;

describe('API and workers end to end', () => {
  let workDir: string;
  let database: { url: string; drop(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  let api: LeadwiseProcess;
  let url: string;
  let experimentId: number;
  const workers: LeadwiseProcess[] = [];
  const logs = () => [api, ...workers].map((p) => p?.output().slice(-3000)).join('\n---\n');

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'leadwise-e2e-'));
    const extracted = spawnSync('tar', ['-xJf', join(resolveEcgDataDir(), 'chapman-shaoxing-subset-400.tar.xz'), '-C', workDir]);
    if (extracted.status !== 0) throw new Error(`tar failed: ${extracted.stderr.toString()}`);
    const manifest = await writeChapmanManifest(join(workDir, 'chapman_shaoxing'), 24);
    database = await createScratchDatabase();
    env = { DATABASE_URL: database.url, LEADWISE_HOME: join(workDir, 'home'), LEADWISE_API_KEY: API_KEY };
    await runLeadwise(['import', 'manifest', manifest, '--name', 'e2e-chapman'], env);
    api = startLeadwise(['serve', '--no-worker', '--port', '0'], env);
    url = String((await api.firstJsonLine()).url);
    const created = await graphql<{ createExperiment: { id: number } }>(
      url,
      `mutation($c: JSONObject!) { createExperiment(input: { config: $c }) { id } }`,
      { c: { name: 'e2e', datasets: { internal: { kind: 'manifest', name: 'e2e-chapman', path: manifest } }, models: ['resnet18'], seeds: [1, 2] } },
      API_KEY,
    );
    experimentId = created.createExperiment.id;
  }, 10 * MINUTES);

  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await api?.stop();
    await database?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 2 * MINUTES);

  async function launchTraining(seed: number, params: Record<string, unknown>): Promise<{ jobId: number; runId: number }> {
    const data = await graphql<{ launchRun: { id: number; run: { id: number } } }>(
      url,
      `mutation($e: Int!, $seed: Int!, $p: JSONObject!) {
        launchRun(input: { experimentId: $e, kind: TRAIN, model: "resnet18", seed: $seed, dataset: "e2e-chapman", params: $p }) { id run { id } } }`,
      { e: experimentId, seed, p: params },
      API_KEY,
    );
    return { jobId: data.launchRun.id, runId: data.launchRun.run.id };
  }

  async function finishedJob(jobId: number, timeoutMs: number) {
    return waitFor(
      `job ${jobId} to finish`,
      async () => {
        const { job } = await graphql<{ job: { status: string; attempts: number; error: string | null; progressDone: number } }>(
          url,
          `query($id: Int!) { job(id: $id) { status attempts error progressDone } }`,
          { id: jobId },
        );
        if (job.status === 'FAILED' || job.status === 'CANCELLED') throw new Error(`job ${jobId} ended ${job.status}: ${job.error}\n${logs()}`);
        return job.status === 'FINISHED' ? job : null;
      },
      timeoutMs,
      logs,
    );
  }

  async function evaluationOf(trainRunId: number) {
    const { runs } = await graphql<{ runs: { id: number; status: string; parentRun: { id: number } | null; metric: number | null }[] }>(
      url,
      `query($e: Int!) { runs(experimentId: $e, kind: EVALUATE) { id status parentRun { id } metric(key: "eval.roc_auc") } }`,
      { e: experimentId },
    );
    return runs.filter((r) => r.parentRun?.id === trainRunId);
  }

  it('trains a tiny model launched through a mutation and serves its metrics, predictions and attributions', async () => {
    workers.push(startLeadwise(['worker', '--concurrency', '1'], env));
    const { jobId, runId } = await launchTraining(1, TINY_TRAINING);
    const job = await finishedJob(jobId, 8 * MINUTES);
    expect(job.attempts).toBe(1);

    const { run } = await graphql<{ run: { status: string; backend: string; wallTimeMs: number; params: { key: string; value: string }[]; loss: { step: number; value: number }[]; latestMetrics: { key: string; value: number }[] } }>(
      url,
      `query($id: Int!) { run(id: $id) { status backend wallTimeMs params { key value } loss: metricSeries(key: "train.loss") { step value } latestMetrics { key value } } }`,
      { id: runId },
    );
    expect(run.status).toBe('FINISHED');
    expect(run.backend).toMatch(/^tfjs-/);
    expect(run.wallTimeMs).toBeGreaterThan(0);
    expect(run.params).toContainEqual({ key: 'epochs', value: '1' });
    expect(run.loss.map((p) => p.step)).toEqual([1]);
    expect(Number.isFinite(run.loss[0]!.value)).toBe(true);
    expect(run.latestMetrics.map((m) => m.key)).toContain('final.val.roc_auc');

    const evaluations = await evaluationOf(runId);
    expect(evaluations).toHaveLength(1);
    const evaluation = evaluations[0]!;
    expect(evaluation.status).toBe('FINISHED');
    expect(evaluation.metric).toBeGreaterThanOrEqual(0);
    expect(evaluation.metric).toBeLessThanOrEqual(1);

    const { predictions } = await graphql<{ predictions: { totalCount: number; nodes: { recordId: number; score: number; trueLabel: string; record: { split: string } }[] } }>(
      url,
      `query($run: Int!) { predictions(runId: $run, first: 100, orderBy: SCORE_DESC) { totalCount nodes { recordId score trueLabel record { split } } } }`,
      { run: evaluation.id },
    );
    // The test split of the manifest: 6 normal + 6 abnormal recordings.
    expect(predictions.totalCount).toBe(12);
    expect(predictions.nodes.every((p) => p.record.split === 'TEST' && p.score >= 0 && p.score <= 1)).toBe(true);
    expect(predictions.nodes.filter((p) => p.trueLabel === 'ABNORMAL')).toHaveLength(6);

    const { leadGroupAttributions } = await graphql<{ leadGroupAttributions: { groupName: string; occlusionDelta: number | null }[] }>(
      url,
      `query($run: Int!, $rec: Int!) { leadGroupAttributions(runId: $run, recordId: $rec) { groupName occlusionDelta } }`,
      { run: evaluation.id, rec: predictions.nodes[0]!.recordId },
    );
    expect(leadGroupAttributions.map((a) => a.groupName).sort()).toEqual(['aVR', 'anterior', 'inferior', 'lateral', 'septal'].sort());
    expect(leadGroupAttributions.every((a) => a.occlusionDelta !== null)).toBe(true);
    const { leadGroupAttributionSummary } = await graphql<{ leadGroupAttributionSummary: { label: string; n: number }[] }>(
      url,
      `query($run: Int!) { leadGroupAttributionSummary(runId: $run) { label groupName n } }`,
      { run: evaluation.id },
    );
    expect(leadGroupAttributionSummary.filter((r) => r.label === 'ABNORMAL').every((r) => r.n === 6)).toBe(true);

    const { studySummary } = await graphql<{ studySummary: { rows: { model: string; role: string; seeds: number[]; rocAuc: { mean: number } }[] } }>(
      url,
      `query($e: Int!) { studySummary(experimentId: $e) { rows { model role seeds rocAuc { mean } } } }`,
      { e: experimentId },
    );
    expect(studySummary.rows).toEqual([{ model: 'resnet18', role: 'INTERNAL', seeds: [1], rocAuc: { mean: evaluation.metric } }]);
  }, 12 * MINUTES);

  it('finishes a job once when its worker is killed mid-training: resumed from the epoch checkpoint, no duplicate predictions', async () => {
    // Only the doomed worker may claim the job.
    for (const worker of workers) await worker.stop();
    const doomed = startLeadwise(['worker', '--concurrency', '1'], env);
    workers.push(doomed);
    const { jobId, runId } = await launchTraining(2, { ...TINY_TRAINING, epochs: 3 });
    // Kill once the first epoch (and its checkpoint) is stored.
    await waitFor(
      'the first epoch',
      async () => {
        const { run } = await graphql<{ run: { loss: { step: number }[] } }>(url, `query($id: Int!) { run(id: $id) { loss: metricSeries(key: "train.loss") { step } } }`, { id: runId });
        return run.loss.length >= 1;
      },
      8 * MINUTES,
      logs,
    );
    await doomed.kill();
    // A fresh worker notices the missed heartbeats (after 5 s) and takes the job over.
    workers.push(startLeadwise(['worker', '--concurrency', '1', '--stale-after', '5'], env));
    const job = await finishedJob(jobId, 10 * MINUTES);
    expect(job.attempts).toBe(2);

    const { run } = await graphql<{ run: { status: string; loss: { step: number }[] } }>(
      url,
      `query($id: Int!) { run(id: $id) { status loss: metricSeries(key: "train.loss") { step } } }`,
      { id: runId },
    );
    expect(run.status).toBe('FINISHED');
    // Each epoch logged once: the retry continued after the stored epoch instead of starting over.
    expect(run.loss.map((p) => p.step)).toEqual([1, 2, 3]);
    const { runs } = await graphql<{ runs: { id: number }[] }>(url, `query($e: Int!) { runs(experimentId: $e, kind: TRAIN) { id } }`, { e: experimentId });
    expect(runs).toHaveLength(2);

    const evaluations = await evaluationOf(runId);
    expect(evaluations.filter((e) => e.status === 'FINISHED')).toHaveLength(1);
    const finished = evaluations.find((e) => e.status === 'FINISHED')!;
    const { predictions } = await graphql<{ predictions: { totalCount: number; nodes: { recordId: number }[] } }>(
      url,
      `query($run: Int!) { predictions(runId: $run, first: 500) { totalCount nodes { recordId } } }`,
      { run: finished.id },
    );
    expect(predictions.totalCount).toBe(12);
    expect(new Set(predictions.nodes.map((p) => p.recordId)).size).toBe(12);
  }, 20 * MINUTES);

  it('cancels a running training job through the API: the worker stops it and the run ends CANCELLED', async () => {
    if (workers.length === 0) workers.push(startLeadwise(['worker', '--concurrency', '1'], env));
    // Holds the training at a known point, whatever the machine's speed: while this transaction
    // holds run_metrics, epoch 1 cannot record its metrics, so the job is still running when the
    // cancel arrives (before, a fast machine finished the tiny training first).
    const gate = await holdTableLock(database.url, 'run_metrics');
    try {
      await cancelHeldTraining();
    } finally {
      await gate.release();
    }
  }, 12 * MINUTES);

  async function cancelHeldTraining(): Promise<void> {
    const { jobId, runId } = await launchTraining(3, { ...TINY_TRAINING, epochs: 20 });
    await waitFor(
      'the job to make progress',
      async () => {
        const { job } = await graphql<{ job: { status: string; progressDone: number } }>(url, `query($id: Int!) { job(id: $id) { status progressDone } }`, { id: jobId });
        return job.status === 'RUNNING' && job.progressDone > 0;
      },
      8 * MINUTES,
      logs,
    );
    const { cancelRun } = await graphql<{ cancelRun: { status: string } }>(url, `mutation($id: Int!) { cancelRun(id: $id) { status } }`, { id: runId }, API_KEY);
    // Still running until the worker's next heartbeat sees the request.
    expect(['RUNNING', 'CANCELLED']).toContain(cancelRun.status);
    const job = await waitFor(
      'the cancel',
      async () => {
        const { job } = await graphql<{ job: { status: string; run: { status: string; endTime: string | null } } }>(
          url,
          `query($id: Int!) { job(id: $id) { status run { status endTime } } }`,
          { id: jobId },
        );
        return job.status === 'CANCELLED' ? job : null;
      },
      2 * MINUTES,
      logs,
    );
    expect(job.run.status).toBe('CANCELLED');
    expect(job.run.endTime).not.toBeNull();
    const { run } = await graphql<{ run: { loss: { step: number }[] } }>(url, `query($id: Int!) { run(id: $id) { loss: metricSeries(key: "train.loss") { step } } }`, { id: runId });
    expect(run.loss.length).toBeLessThan(20);
  }
});
