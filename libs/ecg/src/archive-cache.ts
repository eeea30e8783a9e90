import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ArchiveError } from './errors.ts';
import { DEFAULT_IMPORT_LIMITS, formatBytes, type ImportLimits } from './import-limits.ts';

const TAR_SUFFIXES = ['.tar.xz', '.txz', '.tar.gz', '.tgz', '.tar.bz2', '.tar'];

export function isTarArchive(path: string): boolean {
  const lower = path.toLowerCase();
  return TAR_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

export function isZipArchive(path: string): boolean {
  return path.toLowerCase().endsWith('.zip');
}

/**
 * Extracts a tar archive (xz, gzip, bzip2 or plain; `tar` detects which) once into
 * `<cacheDir>/archives/<name>-<key>/` and returns that directory. The key covers the archive's path,
 * size and modification time, so a changed archive is extracted afresh. Extraction goes into a
 * temporary sibling that is renamed into place, so a crash never leaves a half-extracted cache that
 * a later run would trust; two processes racing both extract and the loser discards its copy.
 */
export async function extractTarArchiveCached(archivePath: string, cacheDir: string, limits: ImportLimits = DEFAULT_IMPORT_LIMITS): Promise<string> {
  const absolute = resolve(archivePath);
  let info;
  try {
    info = await stat(absolute);
  } catch {
    throw new ArchiveError('archive not found', absolute);
  }
  const key = createHash('sha256').update(`${absolute}\0${info.size}\0${info.mtimeMs}`).digest('hex').slice(0, 16);
  const name = basename(absolute).replace(/[^A-Za-z0-9._-]/g, '_');
  const archivesDir = join(cacheDir, 'archives');
  const target = join(archivesDir, `${name}-${key}`);
  if (await exists(target)) return target;

  await checkTarListing(absolute, limits);
  await mkdir(archivesDir, { recursive: true });
  const temporary = await mkdtemp(join(archivesDir, `.tmp-${name}-`));
  try {
    await runTar(absolute, temporary);
    try {
      await rename(temporary, target);
    } catch (error) {
      if (!(await exists(target))) throw error;
      await rm(temporary, { recursive: true, force: true });
    }
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    if (error instanceof ArchiveError) throw error;
    throw new ArchiveError(`cannot extract into ${archivesDir}: ${(error as Error).message}`, absolute);
  }
  return target;
}

/**
 * Lists the archive (`tar -tv`) and refuses it before extracting anything when it holds special
 * files (devices, FIFOs) or more than the limits allow.
 */
async function checkTarListing(archivePath: string, limits: ImportLimits): Promise<void> {
  const listing = await runTarCapture(['-tvf', archivePath], archivePath);
  let totalBytes = 0;
  for (const line of listing.split('\n')) {
    if (line.trim() === '') continue;
    // GNU tar: `-rw-r--r-- user/group 1234 2024-01-01 10:00 path`; devices show `major,minor` instead of a size.
    const match = /^(\S)\S*\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(.*)$/.exec(line);
    const type = line[0];
    if (!match || !['-', 'd', 'l', 'h'].includes(type ?? '')) {
      throw new ArchiveError(`holds a special file (device, FIFO or unknown type): ${line.trim().slice(0, 200)}`, archivePath);
    }
    const size = Number(match[2]);
    if (size > limits.maxFileBytes) {
      throw new ArchiveError(`entry ${match[3]} is ${formatBytes(size)}, over the ${formatBytes(limits.maxFileBytes)} limit per file (raise it with --max-file-mb)`, archivePath);
    }
    totalBytes += size;
    if (totalBytes > limits.maxArchiveBytes) {
      throw new ArchiveError(`holds more than ${formatBytes(limits.maxArchiveBytes)} once extracted, the limit per archive (raise it with --max-archive-mb)`, archivePath);
    }
  }
}

function runTarCapture(args: string[], archivePath: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    child.on('error', (error) => reject(new ArchiveError(`cannot run tar: ${error.message}`, archivePath)));
    child.on('close', (code) => {
      if (code === 0) resolvePromise(Buffer.concat(out).toString('utf8'));
      else reject(new ArchiveError(`tar exited with ${code}: ${stderr.trim()}`, archivePath));
    });
  });
}

function runTar(archivePath: string, into: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('tar', ['-xf', archivePath, '-C', into, '--no-same-owner'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    child.on('error', (error) => reject(new ArchiveError(`cannot run tar: ${error.message}`, archivePath)));
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else reject(new ArchiveError(`tar exited with ${code}: ${stderr.trim()}`, archivePath));
    });
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
