import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { consistentTwelveLeadAdu, encodeFormat16Record } from '@leadwise/ecg/testing';
import { main } from '../main.ts';
import { runCli, useScratchDatabase } from '../testing.ts';

// Runs the real commands against a fresh PostgreSQL database given through DATABASE_URL, as a user
// would (a first PGlite open on disk runs initdb, which takes tens of seconds on a busy machine;
// both drivers are covered by the importer's own tests).
const scratch = useScratchDatabase('leadwise_cli_import');

async function run(args: string[]): Promise<string> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await main(['node', 'leadwise', ...args]);
    return out.mock.calls.map((call) => String(call[0])).join('');
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('leadwise import / datasets', () => {
  it('imports a manifest folder twice without duplicates and lists its counts per split', async () => {
    const dir = join(scratch.home(), 'folder');
    await mkdir(dir, { recursive: true });
    for (const name of ['r1', 'r2', 'r3']) {
      const record = encodeFormat16Record({ recordName: name, leadsAdu: consistentTwelveLeadAdu(30) });
      await writeFile(join(dir, `${name}.hea`), record.header);
      await writeFile(join(dir, record.datName), record.dat);
    }
    await writeFile(join(dir, 'manifest.csv'), 'path,label,patient_id,split\nr1,normal,p1,train\nr2,abnormal,p2,train\nr3,abnormal,p3,test\nr4,normal,p4,test\n');

    for (let i = 0; i < 2; i++) {
      const summary = JSON.parse(await run(['import', 'manifest', dir, '--name', 'demo', '--json']));
      expect(summary).toMatchObject({ name: 'demo', imported: 3, normal: 1, abnormal: 2, excluded: 0, missingFiles: 1, qualityFlags: 0 });
    }
    const datasets = JSON.parse(await run(['datasets', '--json']));
    expect(datasets).toHaveLength(1);
    expect(datasets[0]).toMatchObject({
      name: 'demo',
      records: 3,
      splits: { train: { records: 2, normal: 1, abnormal: 1, excluded: 0 }, test: { records: 1, normal: 0, abnormal: 1, excluded: 0 } },
    });
    expect(await run(['datasets'])).toMatch(/demo \(id \d+, manifest/);
  });

  it('reports bad input as one line naming the file, exit 1, no stack trace', async () => {
    const csv = join(scratch.home(), 'bad.csv');
    await writeFile(csv, 'path\nr1\n');
    const result = await runCli(['import', 'manifest', csv]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^leadwise: .*bad\.csv/)]);
  });

  it('splits at import with --split, refuses to replace the split on a re-import without --force', async () => {
    const dir = join(scratch.home(), 'split-at-import');
    await mkdir(dir, { recursive: true });
    const lines = ['path,label,patient_id'];
    for (let i = 0; i < 20; i++) {
      const name = `s${i}`;
      const record = encodeFormat16Record({ recordName: name, leadsAdu: consistentTwelveLeadAdu(30) });
      await writeFile(join(dir, `${name}.hea`), record.header);
      await writeFile(join(dir, record.datName), record.dat);
      lines.push(`${name},${i % 2 ? 'normal' : 'abnormal'},p${Math.floor(i / 2)}`);
    }
    await writeFile(join(dir, 'manifest.csv'), `${lines.join('\n')}\n`);
    const first = await runCli(['import', 'manifest', dir, '--name', 'split-demo', '--split', '0.6,0.2,0.2', '--seed', '5', '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout) as { split: { counts: { split: string; records: number }[]; patientsInSeveralSplits: number } };
    const total = (s: string) => summary.split.counts.filter((c) => c.split === s).reduce((n, c) => n + c.records, 0);
    expect([total('train'), total('val'), total('test')]).toEqual([12, 4, 4]);
    expect(summary.split.patientsInSeveralSplits).toBe(0);

    const again = await runCli(['import', 'manifest', dir, '--name', 'split-demo', '--split', '0.6,0.2,0.2', '--seed', '6']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/already has splits .*add --force/);
    expect((await runCli(['import', 'manifest', dir, '--name', 'split-demo', '--split', '0.6,0.2,0.2', '--seed', '6', '--force'])).exitCode).toBe(0);

    const bad = await runCli(['import', 'manifest', dir, '--split', '0.6,0.4']);
    expect(bad).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('--split takes three fractions') });
  });
});
