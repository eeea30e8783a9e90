import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { extractTarArchiveCached, resolveCacheDir, resolveEcgDataDir } from '@leadwise/ecg';
import { main } from '../main.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('leadwise render-record', () => {
  it('writes the PNG and its sidecar page.json with the options asked for', async () => {
    const root = await extractTarArchiveCached(join(resolveEcgDataDir(), 'chapman-shaoxing-subset-400.tar.xz'), resolveCacheDir());
    const header = join(root, 'chapman_shaoxing', 'WFDBRecords', '01', '010', 'JS00001.hea');
    const dir = await mkdtemp(join(tmpdir(), 'leadwise-cli-render-'));
    dirs.push(dir);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let written = '';
    try {
      await main(['node', 'leadwise', 'render-record', header, '--out', join(dir, 'page.png'), '--style', 'none', '--dpi', '100', '--layout', 'cabrera', '--json']);
      written = out.mock.calls.map((call) => String(call[0])).join('');
    } finally {
      out.mockRestore();
    }
    expect(process.exitCode ?? 0).toBe(0);
    const printed = JSON.parse(written);
    expect(printed).toMatchObject({ png: join(dir, 'page.png'), sidecar: join(dir, 'page.json'), widthPx: 1100, heightPx: 850 });
    const png = await readFile(join(dir, 'page.png'));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const sidecar = JSON.parse(await readFile(join(dir, 'page.json'), 'utf8'));
    expect(sidecar).toMatchObject({ recordName: 'JS00001', dpi: 100, ageYears: 85, sex: 'male', options: { gridStyle: 'none', layout: 'cabrera' } });
  });
});
