import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '@leadwise/db/testing';
import { graphql, startLeadwise, type LeadwiseProcess } from './leadwise-processes.ts';

// `leadwise serve --workers 2`: two API processes behind one port (node:cluster) on PostgreSQL.
describe('leadwise serve --workers', () => {
  let database: { url: string; drop(): Promise<void> };
  let serve: LeadwiseProcess;
  let url: string;

  beforeAll(async () => {
    database = await createScratchDatabase('web_serve_workers');
    serve = startLeadwise(['serve', '--no-worker', '--port', '0', '--workers', '2'], { DATABASE_URL: database.url });
    url = String((await serve.firstJsonLine()).url);
  }, 5 * 60_000);

  afterAll(async () => {
    await serve?.stop();
    await database?.drop();
  });

  it('answers from both processes on one port and stops them all on SIGINT', { timeout: 5 * 60_000 }, async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => graphql<{ datasets: unknown[] }>(new URL('/graphql', url).toString(), '{ datasets { id } }')));
    expect(answers.every((a) => Array.isArray(a.datasets))).toBe(true);
    await serve.stop();
    expect(serve.child.exitCode === 0 || serve.child.signalCode !== null).toBe(true);
    expect(serve.output()).not.toMatch(/starting another/);
  });

  it('refuses --workers on embedded PGlite', { timeout: 5 * 60_000 }, async () => {
    const embedded = startLeadwise(['serve', '--port', '0', '--workers', '2'], { DATABASE_URL: '' });
    const [code] = await new Promise<[number | null]>((resolve) => embedded.child.on('exit', (c) => resolve([c])));
    expect(code).not.toBe(0);
    expect(embedded.output()).toContain('--workers needs PostgreSQL');
  });
});
