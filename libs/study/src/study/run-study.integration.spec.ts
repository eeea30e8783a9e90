import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '@leadwise/db';
import { openTestDatabase, type TestDatabase } from '@leadwise/db/testing';
import { resolveEcgDataDir } from '@leadwise/ecg';
import { writeChapmanManifest } from '@leadwise/ecg/testing';
import { startOpenAiTestServer, type TestServer } from '@leadwise/llm/testing';
import { computeStudySummary } from '../summary/index.ts';
import { runStudy } from './run-study.ts';
import { parseStudyConfig, resolveStudyPlan } from './study-config.ts';

// The whole study on real recordings, small enough for CI: 48 Chapman-Shaoxing records imported
// through a manifest as the internal set (train/val/test), the 400-record Chapman archive as the
// external set, two models at the quick profile, and the LLM arm against a local server that speaks
// the OpenAI wire format to the real openai SDK. Then a second run must redo nothing.

describe('leadwise study end to end (quick profile, tiny internal set)', () => {
  let workDir: string;
  let handle: TestDatabase;
  let server: TestServer;
  let config: ReturnType<typeof parseStudyConfig>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'leadwise-study-'));
    const dataDir = resolveEcgDataDir();
    const archive = join(dataDir, 'chapman-shaoxing-subset-400.tar.xz');
    const extracted = spawnSync('tar', ['-xJf', archive, '-C', workDir]);
    if (extracted.status !== 0) throw new Error(`tar failed: ${extracted.stderr.toString()}`);
    const manifest = await writeChapmanManifest(join(workDir, 'chapman_shaoxing'), 24);
    process.env.LEADWISE_HOME = join(workDir, 'home');
    await mkdir(process.env.LEADWISE_HOME, { recursive: true });
    // Scripted model: confident and right on abnormal pages is not knowable from bytes, so it says
    // "abnormal" with a probability that depends on the image hash: a real, rankable score.
    server = await startOpenAiTestServer({
      script: (request) => {
        const p = parseInt(request.imageSha256s[0].slice(0, 4), 16) / 0xffff;
        return { kind: 'answer', text: JSON.stringify({ label: p > 0.5 ? 'abnormal' : 'normal', probability: p, narrative: 'scripted' }) };
      },
    });
    env = { LEADWISE_COMPAT_BASE_URL: server.baseUrl, LEADWISE_COMPAT_MODEL: 'scripted-vlm' };
    config = parseStudyConfig({
      name: 'tiny study',
      datasets: {
        internal: { kind: 'manifest', name: 'mini', path: manifest },
        external: { kind: 'cinc', name: 'chapman', path: archive },
      },
      models: ['leadgroup', 'resnet18'],
      llm: { models: [] },
      statistics: { bootstrapResamples: 200 },
    });
    handle = await openTestDatabase('pglite');
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    await handle?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('trains, evaluates, asks the LLM, writes a full report whose table equals the study summary, and resumes for free', async () => {
    const plan = resolveStudyPlan(config, 'quick');
    const reportDir = join(workDir, 'report');
    const first = await runStudy(handle.db, { plan, env, reportDir, dataDir: resolveEcgDataDir() });
    expect(first.created).toBe(true);
    expect(first.llmSkippedReason).toBeNull();
    // 2 imports + 2 models x (train + val/test/external evaluations) + 1 LLM model x 2 styles
    expect(first.stepsRun).toBe(2 + 2 * 4 + 2);

    const summary = await computeStudySummary(handle.db, first.experimentId);
    expect(summary.rows.map((r) => `${r.model}/${r.role}`).sort()).toEqual(['leadgroup/external', 'leadgroup/internal', 'resnet18/external', 'resnet18/internal']);
    const internal = summary.rows.find((r) => r.role === 'internal')!;
    expect(internal.n).toBe(12); // the manifest's test split: 6 normal + 6 abnormal
    expect(summary.rows.find((r) => r.role === 'external')!.n).toBe(400);
    // Attributions are charted for the test sets only: not the validation evaluation's records.
    const attributions = (await readFile(join(first.report.dir, 'attributions.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
    const internalCounts = attributions.filter((c) => c[1] === 'internal' && c[3] === 'occlusion' && c[4] === 'inferior' && c[0] === 'resnet18');
    expect(internalCounts.reduce((sum, c) => sum + Number(c[7]), 0)).toBe(12);

    const html = await readFile(first.report.htmlPath, 'utf8');
    for (const heading of ['Summary', 'Data', 'Methods', 'Results', 'Lead-group attributions', 'Zero-shot LLMs', 'Example pages']) {
      expect(html, heading).toContain(`>${heading}</h`);
    }
    expect(html).toContain('scripted-vlm');
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(4);
    expect(html.match(/<img /g)!.length).toBe(4);

    // Figures as files beside index.html: ROC/PR per test set, calibration per model and test set,
    // training curves per model (from the stored epoch metrics), attributions.
    const figures = first.report.figurePaths.map((p) => relative(first.report.dir, p));
    for (const model of ['leadgroup', 'resnet18']) {
      expect(figures).toContain(`figures/training-${model}.svg`);
      expect(figures).toContain(`figures/training-${model}.png`);
      expect(figures.filter((f) => f.startsWith(`figures/calibration-${model}-`) && f.endsWith('.svg'))).toHaveLength(2);
    }
    expect(await readFile(first.report.markdownPath, 'utf8')).toContain('(figures/training-leadgroup.svg)');
    // One predictions CSV per evaluation run (val, test and external for each model).
    const predictionFiles = first.report.csvPaths.filter((p) => p.includes(`${sep}predictions${sep}`));
    expect(predictionFiles).toHaveLength(2 * 3);
    const external = predictionFiles.find((p) => p.includes('resnet18') && p.includes('chapman'))!;
    expect((await readFile(external, 'utf8')).trim().split('\n')).toHaveLength(1 + 400);

    // Every ROC-AUC in the report's CSV is the summary's number for that model, role and seed.
    const csv = (await readFile(join(first.report.dir, 'results.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
    const rocRows = csv.filter((c) => c[5] === 'rocAuc');
    expect(rocRows).toHaveLength(summary.rows.length);
    for (const row of summary.rows) {
      const line = rocRows.find((c) => c[0] === row.model && c[1] === row.role)!;
      expect(Number(line[7])).toBe(row.rocAuc.perSeed[0].value);
    }
    const llm = (await readFile(join(first.report.dir, 'llm.csv'), 'utf8')).trim().split('\n');
    expect(llm.filter((l) => l.includes('pooled')).length).toBe(2); // grid and grid-free

    const requestsAfterFirst = server.requests.length;
    expect(requestsAfterFirst).toBe(2 * 12); // two styles x 12 test pages x 1 repeat
    const second = await runStudy(handle.db, { plan, env, reportDir, dataDir: resolveEcgDataDir() });
    expect(second.created).toBe(false);
    expect(second.experimentId).toBe(first.experimentId);
    expect(second.stepsSkipped).toBe(2 + 2 * 4);
    expect(server.requests.length).toBe(requestsAfterFirst); // answers come from the cache

    // --report-only: the same report from the database, no step run; an unknown config is refused.
    const reportOnly = await runStudy(handle.db, { plan, env, reportDir: join(workDir, 'report-only'), dataDir: resolveEcgDataDir(), reportOnly: true });
    expect(reportOnly.stepsRun + reportOnly.stepsSkipped).toBe(0);
    expect(await readFile(join(reportOnly.report.dir, 'results.csv'), 'utf8')).toBe(await readFile(join(first.report.dir, 'results.csv'), 'utf8'));
    const other = resolveStudyPlan({ ...config, name: 'never run' }, 'quick');
    await expect(runStudy(handle.db, { plan: other, env, reportDir: join(workDir, 'x'), dataDir: resolveEcgDataDir(), reportOnly: true })).rejects.toThrow(/no experiment has this config/);
  }, 900_000);

  it('on PostgreSQL trains the runs in parallel child processes, one per core', async () => {
    const postgres = await openTestDatabase('postgres');
    try {
      const plan = resolveStudyPlan({ ...config, llm: { ...config.llm, mode: 'off' } }, 'quick');
      const result = await runStudy(postgres.db, {
        plan,
        env: {},
        reportDir: join(workDir, 'report-pg'),
        dataDir: resolveEcgDataDir(),
        parallelTraining: { processes: 2, databaseUrl: postgres.location },
      });
      expect(result.llmSkippedReason).toMatch(/mode: off/);
      const trainRuns = await new RunStore(postgres.db).listByExperiment(result.experimentId, { kind: 'train', status: 'finished' });
      expect(trainRuns.map((r) => r.model).sort()).toEqual(['leadgroup', 'resnet18']);
      // Both started before either finished: they ran at the same time, in two processes.
      const [a, b] = trainRuns;
      expect(a.startTime!.getTime()).toBeLessThan(b.endTime!.getTime());
      expect(b.startTime!.getTime()).toBeLessThan(a.endTime!.getTime());
      const summary = await computeStudySummary(postgres.db, result.experimentId);
      expect(summary.rows).toHaveLength(4);
    } finally {
      await postgres.close();
    }
  }, 900_000);
});
