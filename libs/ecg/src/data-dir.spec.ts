import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRepoRoot, resolveCacheDir, resolveEcgDataDir } from './data-dir.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'leadwise-data-dir-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveEcgDataDir', () => {
  it('prefers ECG_DATA_DIR', () => {
    expect(resolveEcgDataDir({ ECG_DATA_DIR: dir })).toBe(dir);
  });

  it('rejects an ECG_DATA_DIR that is not a directory', () => {
    expect(() => resolveEcgDataDir({ ECG_DATA_DIR: join(dir, 'absent') })).toThrow(/ECG_DATA_DIR=.*is not a directory/);
  });

  it('falls back to ../shared/data beside the repository (the folder with nx.json)', async () => {
    const repo = join(dir, 'work', 'main');
    await mkdir(join(repo, 'libs', 'ecg'), { recursive: true });
    await writeFile(join(repo, 'nx.json'), '{}');
    expect(() => resolveEcgDataDir({}, [join(repo, 'libs', 'ecg')])).toThrow(/ECG data directory not found: set ECG_DATA_DIR/);
    await mkdir(join(dir, 'work', 'shared', 'data'), { recursive: true });
    expect(resolveEcgDataDir({}, [join(repo, 'libs', 'ecg')])).toBe(join(dir, 'work', 'shared', 'data'));
  });

  it('finds this repository from its own source files', () => {
    expect(findRepoRoot(import.meta.dirname)).toBe(resolve(import.meta.dirname, '../../..'));
  });
});

describe('resolveCacheDir', () => {
  it('is $LEADWISE_HOME/cache', () => {
    expect(resolveCacheDir({ LEADWISE_HOME: dir })).toBe(join(dir, 'cache'));
  });
});
