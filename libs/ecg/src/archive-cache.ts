import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
  const listing = await runTarOn(archivePath, ['-tv'], true);
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

/**
 * How tar reads an archive: an xz archive through `xz -dc -T0` on a pipe when `xz` is on the PATH,
 * anything else (and xz without it) from the file, tar decompressing it itself. xz 5.4 and later
 * decompress an archive's blocks on every core where tar's own call uses one: PTB-XL's 103 MB
 * archive (10 blocks) took 3.9 s to decompress on two cores against 7.0 s, and tar reads it twice
 * (the listing, then the extraction). Older xz decompresses on one core, as before.
 */
function tarSource(archivePath: string): { fileArgs: string[]; decompress: string[] | null } {
  const lower = archivePath.toLowerCase();
  if ((lower.endsWith('.tar.xz') || lower.endsWith('.txz')) && xzAvailable()) {
    return { fileArgs: ['-f', '-'], decompress: ['-dc', '-T0', '--', archivePath] };
  }
  return { fileArgs: ['-f', archivePath], decompress: null };
}

let xzFound: boolean | null = null;
function xzAvailable(): boolean {
  xzFound ??= spawnSync('xz', ['--version'], { stdio: 'ignore' }).status === 0;
  return xzFound;
}

/**
 * Runs tar on the archive (`args` without `-f`), fed by xz where tarSource says so; resolves with
 * tar's standard output when `capture` is set. A failure of either program is an ArchiveError
 * naming the archive, tar's own error first.
 */
function runTarOn(archivePath: string, args: string[], capture: boolean): Promise<string> {
  const source = tarSource(archivePath);
  return new Promise((resolvePromise, reject) => {
    let decompressor: ChildProcess | null = null;
    let decompressError = '';
    let decompressCode: number | null = 0;
    let decompressSignal: NodeJS.Signals | null = null;
    if (source.decompress) {
      decompressor = spawn('xz', source.decompress, { stdio: ['ignore', 'pipe', 'pipe'] });
      decompressor.stderr!.on('data', (chunk: Buffer) => {
        if (decompressError.length < 4000) decompressError += chunk.toString();
      });
    }
    const child = spawn('tar', [...args, ...source.fileArgs], {
      stdio: [decompressor ? decompressor.stdout! : 'ignore', capture ? 'pipe' : 'ignore', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    // tar holds its own end of the pipe now: with this process's copy closed, tar stopping early
    // ends xz with SIGPIPE instead of leaving it blocked on a full pipe.
    decompressor?.stdout!.destroy();
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    let tarDone: number | null | undefined;
    let decompressDone = decompressor === null;
    const finish = (): void => {
      if (tarDone === undefined || !decompressDone) return;
      if (tarDone !== 0) reject(new ArchiveError(`tar exited with ${tarDone}: ${oneLine(stderr)}`, archivePath));
      // A SIGPIPE after tar read all it needed (padding past the end-of-archive blocks) is no error.
      else if (decompressCode !== 0 && decompressSignal !== 'SIGPIPE') {
        reject(new ArchiveError(`xz exited with ${decompressCode ?? decompressSignal}: ${oneLine(decompressError)}`, archivePath));
      }
      else resolvePromise(capture ? Buffer.concat(out).toString('utf8') : '');
    };
    decompressor?.on('error', (error) => {
      child.kill();
      reject(new ArchiveError(`cannot run xz: ${error.message}`, archivePath));
    });
    decompressor?.on('close', (code, signal) => {
      decompressCode = code;
      decompressSignal = signal;
      decompressDone = true;
      finish();
    });
    child.on('error', (error) => {
      decompressor?.kill();
      reject(new ArchiveError(`cannot run tar: ${error.message}`, archivePath));
    });
    child.on('close', (code) => {
      // tar stopping early (an error) leaves xz writing into a closed pipe.
      if (code !== 0) decompressor?.kill();
      tarDone = code;
      finish();
    });
  });
}

/** A program's error output as one line (tar writes one line per complaint). */
function oneLine(text: string): string {
  return text.trim().split(/\s*\n\s*/).join('; ');
}

async function runTar(archivePath: string, into: string): Promise<void> {
  await runTarOn(archivePath, ['-x', '-C', into, '--no-same-owner'], false);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
