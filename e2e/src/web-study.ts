import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { mkdtemp, readFile, rename, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { resolveEcgDataDir } from '@leadwise/ecg';
import { startOpenAiTestServer, type TestServer } from '@leadwise/llm/testing';
import { graphql, runLeadwise, startLeadwise, waitFor, writeChapmanManifest, type LeadwiseProcess } from './leadwise-processes.ts';

/**
 * A small real study behind one `leadwise serve` (embedded PGlite, in-process worker), built only
 * through the public API as a user would: 48 Chapman-Shaoxing recordings imported with `leadwise
 * import manifest`; LeadGroupECG and ResNet18 trained for one epoch on tiny pages, each evaluated
 * on the 12 test records (with lead-group attributions); and an LLM run whose "model" is a local
 * server speaking OpenAI's wire format with scripted answers.
 */
export interface WebStudy {
  url: string;
  apiKey: string;
  workDir: string;
  serve: LeadwiseProcess;
  experimentId: number;
  emptyExperimentId: number;
  /** EVALUATE runs by model (`leadgroup`, `resnet18`) and the LLM run. */
  evaluateRuns: Record<string, number>;
  llmRunId: number;
  stop(): Promise<void>;
  /**
   * Holds every read of the study's recordings at a known point until `release`: each record's
   * header becomes a named pipe, so a run that starts reading samples waits in the open (in libuv's
   * thread pool; the server's event loop stays free) instead of racing the test.
   */
  holdRecordReads(): Promise<{ release(): Promise<void> }>;
}

export const WEB_STUDY_API_KEY = 'web-e2e-key';
const TINY_TRAINING = { epochs: 1, batchSize: 8, maxTrainSamples: 24, maxValSamples: 8, evaluateMaxSamples: 12 };
const MODELS = ['leadgroup', 'resnet18'] as const;

export async function startWebStudy(): Promise<WebStudy> {
  const workDir = await mkdtemp(join(tmpdir(), 'web-e2e-'));
  const extracted = spawnSync('tar', ['-xJf', join(resolveEcgDataDir(), 'chapman-shaoxing-subset-400.tar.xz'), '-C', workDir]);
  if (extracted.status !== 0) throw new Error(`tar failed: ${extracted.stderr.toString()}`);
  const manifest = await writeChapmanManifest(join(workDir, 'chapman_shaoxing'), 24);

  // The scripted reader: confident and right on even image hashes, hesitant on odd ones, with a narrative.
  let answered = 0;
  const llm: TestServer = await startOpenAiTestServer({
    script: () => {
      const i = answered++;
      const abnormal = i % 2 === 0;
      return {
        kind: 'answer',
        text: JSON.stringify({ label: abnormal ? 'abnormal' : 'normal', probability: abnormal ? 0.8 : 0.3, narrative: `Scripted reading ${i}: ${abnormal ? 'ST changes in the inferior leads' : 'sinus rhythm, normal axis'}.` }),
      };
    },
  });

  const env = { DATABASE_URL: '', LEADWISE_HOME: join(workDir, 'home'), LEADWISE_API_KEY: WEB_STUDY_API_KEY, LEADWISE_COMPAT_BASE_URL: llm.baseUrl, LEADWISE_COMPAT_API_KEY: 'scripted' };
  await runLeadwise(['import', 'manifest', manifest, '--name', 'mini'], env);
  const serve = startLeadwise(['serve', '--port', '0'], env);
  const url = String((await serve.firstJsonLine()).url);
  const graphqlUrl = new URL('/graphql', url).toString();
  const mutate = <T>(query: string, variables: Record<string, unknown>) => graphql<T>(graphqlUrl, query, variables, WEB_STUDY_API_KEY);

  const createExperiment = async (name: string) =>
    (
      await mutate<{ createExperiment: { id: number } }>(`mutation ($config: JSONObject!) { createExperiment(input: { config: $config }) { id } }`, {
        config: { name, datasets: { internal: { kind: 'manifest', name: 'mini', path: 'mini' } }, models: [...MODELS], seeds: [1] },
      })
    ).createExperiment.id;
  const experimentId = await createExperiment('web-e2e');
  const emptyExperimentId = await createExperiment('web-e2e-not-run');

  const launch = `mutation ($input: LaunchRunInput!) { launchRun(input: $input) { id } }`;
  const jobIds: number[] = [];
  for (const model of MODELS) {
    const { launchRun } = await mutate<{ launchRun: { id: number } }>(launch, { input: { experimentId, kind: 'TRAIN', model, seed: 1, dataset: 'mini', params: TINY_TRAINING } });
    jobIds.push(launchRun.id);
  }
  const { launchRun: llmJob } = await mutate<{ launchRun: { id: number } }>(launch, {
    input: { experimentId, kind: 'LLM', model: 'scripted', dataset: 'mini', params: { provider: 'compatible', split: 'test', style: 'grid', dpi: 50, concurrency: 2 } },
  });
  jobIds.push(llmJob.id);

  for (const id of jobIds) {
    await waitFor(
      `job ${id}`,
      async () => {
        const { job } = await graphql<{ job: { status: string; error: string | null } }>(graphqlUrl, `query ($id: Int!) { job(id: $id) { status error } }`, { id });
        if (job.status === 'FAILED' || job.status === 'CANCELLED') throw new Error(`job ${id} ${job.status}: ${job.error}\n${serve.output().slice(-3000)}`);
        return job.status === 'FINISHED';
      },
      12 * 60_000,
      () => serve.output().slice(-3000),
    );
  }

  const { runs } = await graphql<{ runs: { id: number; kind: string; model: string }[] }>(
    graphqlUrl,
    `query ($e: Int!) { runs(experimentId: $e, status: FINISHED) { id kind model parentRun { model } } }`,
    { e: experimentId },
  );
  const evaluateRuns: Record<string, number> = {};
  for (const run of runs as { id: number; kind: string; model: string; parentRun: { model: string } | null }[]) {
    if (run.kind === 'EVALUATE') evaluateRuns[run.parentRun?.model ?? run.model] = run.id;
  }
  const llmRunId = runs.find((r) => r.kind === 'LLM')?.id;
  if (!llmRunId || MODELS.some((m) => !evaluateRuns[m])) throw new Error(`the study is incomplete: ${JSON.stringify(runs)}`);

  return {
    url,
    apiKey: WEB_STUDY_API_KEY,
    workDir,
    serve,
    experimentId,
    emptyExperimentId,
    evaluateRuns,
    llmRunId,
    holdRecordReads: () => holdReads(manifest),
    async stop() {
      await serve.stop();
      await llm.close();
    },
  };
}

/** See WebStudy.holdRecordReads. */
async function holdReads(manifest: string): Promise<{ release(): Promise<void> }> {
  const root = dirname(manifest);
  const headers = (await readFile(manifest, 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => join(root, line.split(',')[0]!));
  for (const header of headers) {
    await rename(header, `${header}.held`);
    const made = spawnSync('mkfifo', [header]);
    if (made.status !== 0) throw new Error(`mkfifo ${header} failed: ${made.stderr.toString()}`);
  }
  return {
    async release() {
      for (const header of headers) {
        // The pipe moves aside (an open waiting on it keeps it) and the real header comes back.
        await rename(header, `${header}.fifo`);
        await rename(`${header}.held`, header);
        let fd: number;
        try {
          // Succeeds only when a reader is waiting on the pipe: it gets the header, then end of file.
          fd = openSync(`${header}.fifo`, constants.O_WRONLY | constants.O_NONBLOCK);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
          await unlink(`${header}.fifo`);
          continue;
        }
        try {
          writeSync(fd, await readFile(header));
        } finally {
          closeSync(fd);
        }
        await unlink(`${header}.fifo`);
      }
    },
  };
}
