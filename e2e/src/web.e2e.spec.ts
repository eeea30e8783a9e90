import { spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, graphql, waitFor } from './leadwise-processes.ts';
import { startWebStudy, type WebStudy } from './web-study.ts';

// The web app (apps/web) in Debian's Chromium, headless, against a real `leadwise serve` holding
// a small real study (see web-study.ts). Every test fails on any console error or page exception.
// Screenshots of the main views go to a scratch folder, or, with LEADWISE_UPDATE_SCREENSHOTS=1,
// to docs/images/web-*.png (the README's pictures).

const MINUTES = 60_000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.LEADWISE_UPDATE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs/images') : null;

describe('web app in a browser', () => {
  let study: WebStudy;
  let browser: Browser;
  let page: Page;
  let consoleErrors: string[];
  let screenshotDir: string;

  beforeAll(async () => {
    // The app under test is the current source, built as `npm ci` builds it.
    const built = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/web/vite.config.ts'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`vite build failed:\n${built.stdout}\n${built.stderr}`);
    study = await startWebStudy();
    screenshotDir = SCREENSHOTS ?? join(study.workDir, 'screenshots');
    await mkdir(screenshotDir, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 20 * MINUTES);

  afterAll(async () => {
    await browser?.close();
    await study?.stop();
    if (study?.workDir) await rm(study.workDir, { recursive: true, force: true });
  }, 2 * MINUTES);

  beforeEach(async () => {
    consoleErrors = [];
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  });

  afterEach(async () => {
    await page?.close();
    expect(consoleErrors).toEqual([]);
  });

  const open = (hash: string) => page.goto(`${study.url}${hash}`);
  const shoot = (name: string) => page.screenshot({ path: join(screenshotDir, `web-${name}.png`), fullPage: true });

  it('walks from the experiments to a run, its predictions and a record page with its lead-group overlay', async () => {
    await open('');
    await page.getByRole('heading', { name: 'Experiments', level: 1 }).waitFor();
    await shoot('experiments');
    await page.getByRole('link', { name: 'web-e2e', exact: true }).click();

    // The study summary: one row per model on the internal test set, with a CI.
    const summary = page.getByRole('table', { name: /ROC-AUC and PR-AUC/ });
    await summary.waitFor();
    for (const model of ['leadgroup', 'resnet18']) await expect(summary.getByRole('rowheader', { name: model }).count()).resolves.toBe(1);
    await expect(summary.textContent()).resolves.toMatch(/\d\.\d{3} \(\d\.\d{3} to \d\.\d{3}\)/);
    // The curves are drawn, one path per scored run (two CNN evaluations and the LLM run).
    const roc = page.getByRole('figure', { name: 'ROC curve' });
    await roc.locator('path').first().waitFor();
    await expect(roc.locator('path').count()).resolves.toBe(3);
    await page.getByRole('figure', { name: 'Calibration (reliability)' }).locator('circle').first().waitFor();
    // The paired DeLong table: every pair of the three runs, each with an interval.
    const delong = page.getByRole('table', { name: /ROC-AUC differences/ });
    await delong.getByText(/\(-?\d\.\d{3} to -?\d\.\d{3}\)/).first().waitFor();
    await expect(delong.locator('tbody tr').count()).resolves.toBe(3);
    await shoot('experiment');

    // The LeadGroupECG evaluation run.
    await page.getByRole('table', { name: 'Runs of the experiment' }).locator(`a[href="#/runs/${study.evaluateRuns.leadgroup}"]`).click();
    await page.getByRole('heading', { name: 'Parameters' }).waitFor();
    await expect(page.getByRole('table', { name: 'Latest value of every metric' }).getByRole('rowheader', { name: 'eval.roc_auc', exact: true }).count()).resolves.toBe(1);
    await shoot('run');

    await page.getByRole('link', { name: 'Predictions', exact: true }).click();
    const table = page.getByRole('table', { name: /Predictions, 50 per page/ });
    await table.waitFor();
    await expect(table.locator('tbody tr').count()).resolves.toBe(12);
    await shoot('predictions');

    await table.locator('tbody tr a').first().click();
    const image = page.getByRole('img', { name: /^ECG page of record/ });
    await image.waitFor();
    // The PNG decoded (a broken image has no natural size) and is the page the API rendered.
    await page.waitForFunction(() => {
      const img = document.querySelector('.page-stack img') as HTMLImageElement | null;
      return img !== null && img.complete && img.naturalWidth > 1000;
    });
    const overlay = page.getByRole('img', { name: 'Lead boxes coloured by lead-group weight' });
    await expect(overlay.locator('rect').count()).resolves.toBe(13);
    // LeadGroupECG stored attention weights for this record: every box is coloured, the heaviest group most.
    const opacities = await overlay.locator('rect').evaluateAll((rects) => rects.map((r) => Number((r as SVGRectElement).style.fillOpacity)));
    expect(opacities.every((o) => o > 0)).toBe(true);
    expect(Math.max(...opacities)).toBeCloseTo(0.4, 5);
    await page.getByRole('table', { name: 'Lead-group weights of the selected run' }).waitFor();
    // Every model's score for the record, and the scripted LLM's answer with its narrative.
    await expect(page.getByRole('table', { name: /Scores of every run/ }).locator('tbody tr').count()).resolves.toBe(3);
    await page.locator('.llm-answers').getByText(/^Scripted reading \d+/).waitFor();
    await shoot('record');

    // Grid-free paper: another rendered page, same boxes.
    await page.getByLabel('Paper').selectOption('NONE');
    await page.getByText('12-lead page, grid-free').waitFor();
    await page.waitForFunction(() => (document.querySelector('.page-stack img') as HTMLImageElement | null)?.naturalWidth ?? 0 > 1000);
  });

  it('filters the misclassified predictions and sorts them by score', async () => {
    const runId = study.evaluateRuns.resnet18;
    const { predictions } = await graphql<{ predictions: { totalCount: number } }>(new URL('/graphql', study.url).toString(), `query ($r: Int!) { predictions(runId: $r, misclassified: true) { totalCount } }`, { r: runId });
    await open(`#/runs/${runId}/predictions`);
    await page.getByRole('table', { name: /Predictions, 50 per page/ }).waitFor();
    await page.getByLabel('Correctness').selectOption('true');
    await page.getByLabel('Sort').selectOption('SCORE_DESC');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/misclassified=true/);
    await page.getByRole('status').filter({ hasText: new RegExp(`^${predictions.totalCount} predictions? match\\.$`) }).waitFor();
    if (predictions.totalCount === 0) {
      await page.getByText('No predictions match these filters').waitFor();
      return;
    }
    const rows = page.locator('table.predictions tbody tr');
    await expect(rows.count()).resolves.toBe(predictions.totalCount);
    await expect(page.locator('table.predictions tbody tr.misclassified').count()).resolves.toBe(predictions.totalCount);
    const scores = (await rows.locator('td.num').allTextContents()).map(Number);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('puts the same records across three runs side by side, chosen with the keyboard and filtered like the table', async () => {
    // The page's run, then the two set beside it in the order the page shows them (set below).
    let runIds = [study.evaluateRuns.resnet18, study.evaluateRuns.leadgroup, study.llmRunId];
    type Across = { recordsAcrossRuns: { nodes: { scores: (number | null)[]; record: { externalId: string } }[] } };
    const expected = async (misclassified: boolean | null) =>
      (
        await graphql<Across>(new URL('/graphql', study.url).toString(), `query ($runs: [Int!]!, $m: Boolean) { recordsAcrossRuns(runIds: $runs, first: 50, misclassified: $m) { nodes { scores record { externalId } } } }`, {
          runs: runIds,
          m: misclassified,
        })
      ).recordsAcrossRuns.nodes;
    const shown = async () => {
      const table = page.getByRole('table', { name: /The same records across 3 runs/ });
      await table.waitFor();
      await expect(table.locator('thead th').count()).resolves.toBe(3 + runIds.length);
      return table.locator('tbody tr').evaluateAll((rows) =>
        rows.map((row) => ({
          record: row.querySelector('th')?.textContent ?? '',
          scores: Array.from(row.querySelectorAll('td.num')).map((cell) => {
            const match = /\d\.\d{3}/.exec(cell.textContent ?? '');
            return match ? Number(match[0]) : null;
          }),
        })),
      );
    };
    const rounded = (nodes: Awaited<ReturnType<typeof expected>>) => nodes.map((n) => ({ record: n.record.externalId, scores: n.scores.map((s) => (s === null ? null : Number(s.toFixed(3)))) }));

    await open(`#/runs/${runIds[0]}/predictions`);
    await page.getByRole('table', { name: /Predictions, 50 per page/ }).waitFor();
    // Keyboard only: open the section, choose two runs in the list, apply.
    await page.getByText('Same records across other runs').focus();
    await page.keyboard.press('Enter');
    const picker = page.getByLabel(/Runs beside this one/);
    await picker.waitFor();
    await picker.selectOption(runIds.slice(1).map(String));
    // A multiple select hands over its choices in the list's order (newest run first), and which of
    // the two runs the study fixture finished first varies: the URL follows the list.
    const beside = await picker.evaluate((select) => Array.from((select as HTMLSelectElement).selectedOptions, (o) => Number(o.value)));
    expect([...beside].sort((x, y) => x - y)).toEqual(runIds.slice(1).sort((x, y) => x - y));
    runIds = [runIds[0], ...beside];
    await page.getByRole('button', { name: 'Show side by side' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`with=${beside[0]}%2C${beside[1]}`));
    const all = await expected(null);
    expect(all.length).toBeGreaterThan(0);
    await expect(shown()).resolves.toEqual(rounded(all));
    await shoot('records-across-runs');

    await page.getByLabel('Correctness').selectOption('true');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/misclassified=true/);
    const missed = await expected(true);
    if (missed.length === 0) await page.getByText('No records of the first run match these filters').waitFor();
    else await expect.poll(shown).toEqual(rounded(missed));
  });

  it('compares two runs: the DeLong difference with its CI and the records where they disagree most', async () => {
    // LeadGroupECG against the scripted LLM reader, on the 12 test records both scored.
    const a = study.evaluateRuns.leadgroup;
    const b = study.llmRunId;
    await open(`#/compare?a=${a}&b=${b}`);
    await page.getByTestId('delong-difference').filter({ hasText: /^-?\d\.\d{3} \(-?\d\.\d{3} to -?\d\.\d{3}\)$/ }).waitFor();
    const rows = page.getByRole('table', { name: /Shared records by the gap/ }).locator('tbody tr');
    await rows.first().waitFor();
    await expect(rows.count()).resolves.toBe(12);
    // Largest gap first.
    const gaps = (await rows.locator('td:last-child').allTextContents()).map((text) => Math.abs(Number(text)));
    expect(gaps).toEqual([...gaps].sort((x, y) => y - x));
    await shoot('compare');
  });

  it('shows clear empty states for an experiment that has not run', async () => {
    await open(`#/experiments/${study.emptyExperimentId}`);
    await page.getByText('No finished evaluation yet').waitFor();
    await page.getByText('No runs yet').waitFor();
    await page.getByText('Curves appear once an evaluation run has finished.').waitFor();
    await page.getByText('Needs two finished runs scored on the same dataset.').waitFor();
  });

  it('launches a run with the API key kept in sessionStorage, shows its live progress and cancels it', async () => {
    await open(`#/experiments/${study.emptyExperimentId}`);
    await page.getByRole('heading', { name: 'Launch a run' }).waitFor();
    await page.getByLabel('API key').fill(study.apiKey);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByText('API key set for this tab').waitFor();
    expect(await page.evaluate(() => ({ session: sessionStorage.getItem('leadwise.apiKey'), local: localStorage.length }))).toEqual({ session: study.apiKey, local: 0 });
    await page.getByLabel('Epochs').fill('50');
    // Held at a known point: the run starts and cannot read a sample until released, so it is
    // running when the cancel arrives. Unheld, the race went either way: a job still queued is
    // cancelled at once, but a running one trains in the server's own process, which holds the event
    // loop between reads, and the tiny run could finish before the cancel request was even read.
    const hold = await study.holdRecordReads();
    const graphqlUrl = new URL('/graphql', study.url).toString();
    let lastJob = '';
    const jobState = async (jobId: number) => {
      const { job } = await graphql<{ job: { status: string; heartbeatAt: string | null; cancelRequestedAt: string | null } }>(
        graphqlUrl,
        `query ($id: Int!) { job(id: $id) { id status heartbeatAt cancelRequestedAt attempts error } }`,
        { id: jobId },
        study.apiKey,
      );
      lastJob = JSON.stringify(job);
      return job;
    };
    try {
      await page.getByRole('button', { name: 'Launch training' }).click();
      const queued = page.getByRole('status').filter({ hasText: /Queued job \d+ as run \d+/ });
      const jobId = Number(/Queued job (\d+)/.exec((await queued.textContent()) ?? '')?.[1]);
      const diagnose = () => `job ${jobId}: ${lastJob}\n${study.serve.output().slice(-3000)}`;
      await waitFor('the job to start', async () => (await jobState(jobId)).status === 'RUNNING', 2 * MINUTES, diagnose);
      await queued.getByRole('link').click();
      await page.getByRole('heading', { name: 'Job' }).waitFor();
      await page.getByRole('button', { name: 'Cancel run' }).click();
      // The worker learns of the cancel at its next heartbeat, which the job records; from then on
      // the attempt ends cancelled whatever the training does.
      await waitFor(
        'a heartbeat after the cancel request',
        async () => {
          const job = await jobState(jobId);
          return job.cancelRequestedAt !== null && job.heartbeatAt !== null && Date.parse(job.heartbeatAt) > Date.parse(job.cancelRequestedAt);
        },
        2 * MINUTES,
        diagnose,
      );
    } finally {
      await hold.release();
    }
    // The page keeps polling until the worker has stopped the run.
    await page.locator('h1 .badge-cancelled').waitFor({ timeout: 5 * MINUTES });
  }, 8 * MINUTES);
});
