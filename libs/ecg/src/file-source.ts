import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, posix, resolve, sep } from 'node:path';
import yauzl from 'yauzl';
import { extractTarArchiveCached, isTarArchive, isZipArchive } from './archive-cache.ts';
import { ArchiveError, DatasetError } from './errors.ts';
import { DEFAULT_IMPORT_LIMITS, formatBytes, type ImportLimits } from './import-limits.ts';

/**
 * Read access to the files of a dataset, whether it is an extracted folder, a folder with its
 * signals shipped as a tar archive beside the tables (our PTB-XL copy), a tar archive, or a
 * PhysioNet `.zip` distribution read in place. Paths are relative, `/`-separated.
 */
export interface FileSource {
  /** What was opened, for messages. */
  readonly description: string;
  /** The file's bytes, or null when the source has no such file. */
  readFile(relativePath: string): Promise<Uint8Array | null>;
  /** Every file's relative path. */
  listFiles(): Promise<string[]>;
  /**
   * A location string that `readWfdbRecord` and `openFileAt` accept later: an absolute path, or
   * `<absolute zip path>!/<entry path>` for a file inside a zip.
   */
  locate(relativePath: string): string;
  /** What reads from this source may cost; `readFile` refuses files over `maxFileBytes`. */
  readonly limits: ImportLimits;
  close(): Promise<void>;
}

/** Separates a zip file from the entry inside it in a location string. */
export const ZIP_ENTRY_SEPARATOR = '!/';

export interface OpenSourceOptions {
  /** Where tar archives are extracted (see `resolveCacheDir`). */
  cacheDir: string;
  /**
   * A file name that marks the dataset's root (e.g. `ptbxl_database.csv`); the source is rooted at the
   * shallowest directory holding it, so a zip whose files sit under one top-level folder still works.
   */
  rootMarker?: string;
  /** Size limits checked before reading or extracting (default DEFAULT_IMPORT_LIMITS). */
  limits?: ImportLimits;
}

/**
 * Opens a dataset path: a `.zip` is read in place; a tar archive is extracted once into the cache;
 * a directory is read as is, with any tar archives directly inside it extracted and layered beneath
 * it (so `ptbxl/` with its CSVs plus `ptbxl-records100-....tar.xz` reads as one tree).
 */
export async function openFileSource(path: string, options: OpenSourceOptions): Promise<FileSource> {
  const absolute = resolve(path);
  const limits = options.limits ?? DEFAULT_IMPORT_LIMITS;
  if (isZipArchive(absolute)) return ZipFileSource.open(absolute, options.rootMarker, limits);
  if (isTarArchive(absolute)) {
    const extracted = await extractTarArchiveCached(absolute, options.cacheDir, limits);
    const root = options.rootMarker ? ((await findMarkerDir(extracted, options.rootMarker)) ?? extracted) : extracted;
    return new DirectoryFileSource([root], absolute, limits);
  }
  let entries;
  try {
    entries = await readdir(absolute, { withFileTypes: true });
  } catch {
    throw new DatasetError('not a directory, .zip or tar archive', absolute);
  }
  let root = absolute;
  if (options.rootMarker && !entries.some((e) => e.isFile() && e.name === options.rootMarker)) {
    root = (await findMarkerDir(absolute, options.rootMarker)) ?? absolute;
  }
  // Archives beside the dataset's tables belong to it; others found higher up (a data folder holding
  // several datasets) do not, and are left unextracted.
  const layers = [root];
  const rootEntries = root === absolute ? entries : await readdir(root, { withFileTypes: true });
  for (const entry of rootEntries) {
    if (entry.isFile() && isTarArchive(entry.name)) layers.push(await extractTarArchiveCached(join(root, entry.name), options.cacheDir, limits));
  }
  return new DirectoryFileSource(layers, root, limits);
}

/** Breadth-first search for the shallowest directory containing `marker`. */
async function findMarkerDir(start: string, marker: string, maxDepth = 4): Promise<string | null> {
  let frontier = [start];
  for (let depth = 0; depth <= maxDepth && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const dir of frontier) {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      if (entries.some((e) => e.isFile() && e.name === marker)) return dir;
      for (const e of entries) if (e.isDirectory()) next.push(join(dir, e.name));
    }
    frontier = next.sort();
  }
  return null;
}

/** Folders read in order; the first that has a file wins. */
export class DirectoryFileSource implements FileSource {
  private realRoots: string[] | null = null;

  constructor(
    private readonly roots: string[],
    readonly description: string = roots[0],
    readonly limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
  ) {}

  /**
   * Refuses what is not a regular file inside the dataset: a FIFO would block the import forever, a
   * device read without end, and a symlink (of the file or of a folder above it) could reach any
   * file of the machine. Sizes are checked before reading.
   */
  private checkFile(root: string, path: string, relativePath: string): void {
    this.realRoots ??= this.roots.map((r) => realpathSync(r));
    const realRoot = this.realRoots[this.roots.indexOf(root)] ?? realpathSync(root);
    const real = realpathSync(path);
    if (real !== realRoot && !real.startsWith(realRoot + sep)) {
      throw new DatasetError('is a symbolic link to a file outside the dataset; copy the file in instead', join(this.description, relativePath));
    }
    const info = statSync(real);
    if (!info.isFile()) throw new DatasetError('is not a regular file (a FIFO, device or folder); only regular files are read', join(this.description, relativePath));
    if (info.size > this.limits.maxFileBytes) {
      throw new DatasetError(`is ${formatBytes(info.size)}, over the ${formatBytes(this.limits.maxFileBytes)} limit per file (raise it with --max-file-mb)`, join(this.description, relativePath));
    }
  }

  /**
   * Reads synchronously on purpose: records are small (tens of kB) and come from the page cache, and
   * on a busy machine each async read costs several thread-pool round trips, which made an import
   * I/O-latency bound (measured: 8,731 PTB-XL records read in ~1 s sync vs ~7 s of waiting async).
   */
  async readFile(relativePath: string): Promise<Uint8Array | null> {
    const safe = safeRelative(relativePath, this.description);
    for (const root of this.roots) {
      const path = join(root, safe);
      // existsSync first: PTB-XL lists 13,068 absent records, and a thrown ENOENT per layer costs more than a stat.
      if (!existsSync(path)) continue;
      this.checkFile(root, path, safe);
      try {
        return readFileSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
      }
    }
    return null;
  }

  async listFiles(): Promise<string[]> {
    const seen = new Set<string>();
    for (const root of this.roots) {
      const entries = await readdir(root, { recursive: true, withFileTypes: true });
      for (const entry of entries) {
        if (!entry.isFile()) continue;
        const full = join(entry.parentPath, entry.name);
        seen.add(full.slice(root.length + 1).split(sep).join('/'));
      }
    }
    return [...seen].sort();
  }

  /** The absolute path of the layer that holds the file (the first layer when none does). */
  locate(relativePath: string): string {
    const safe = safeRelative(relativePath, this.description);
    for (const root of this.roots) {
      if (existsSync(join(root, safe))) return join(root, safe);
    }
    return join(this.roots[0], safe);
  }

  async close(): Promise<void> {
    // Plain folders hold no open handles.
  }
}

/** A zip read in place through its central directory; entries are inflated on demand. */
export class ZipFileSource implements FileSource {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
    private readonly zipPath: string,
    private readonly prefix: string,
    readonly limits: ImportLimits,
  ) {}

  get description(): string {
    return this.zipPath;
  }

  static async open(zipPath: string, rootMarker?: string, limits: ImportLimits = DEFAULT_IMPORT_LIMITS): Promise<ZipFileSource> {
    let zip: yauzl.ZipFile;
    const entries = new Map<string, yauzl.Entry>();
    try {
      zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false, strictFileNames: false });
      for await (const entry of zip.eachEntry()) {
        if (!entry.fileName.endsWith('/')) entries.set(entry.fileName, entry);
      }
    } catch (error) {
      throw new ArchiveError(`cannot read zip: ${(error as Error).message}`, zipPath);
    }
    // Declared sizes are checked before anything is inflated; yauzl checks each entry's actual size against its declared one.
    let totalBytes = 0;
    for (const entry of entries.values()) totalBytes += entry.uncompressedSize;
    if (totalBytes > limits.maxArchiveBytes) {
      zip.close();
      throw new ArchiveError(`holds ${formatBytes(totalBytes)} once inflated, over the ${formatBytes(limits.maxArchiveBytes)} limit per archive (raise it with --max-archive-mb)`, zipPath);
    }
    let prefix = '';
    if (rootMarker) {
      const candidates = [...entries.keys()].filter((name) => posix.basename(name) === rootMarker);
      candidates.sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
      if (candidates.length > 0) prefix = candidates[0].slice(0, candidates[0].length - rootMarker.length);
    }
    return new ZipFileSource(zip, entries, zipPath, prefix, limits);
  }

  async readFile(relativePath: string): Promise<Uint8Array | null> {
    const entry = this.entries.get(this.prefix + safeRelative(relativePath, this.zipPath));
    if (!entry) return null;
    if (entry.uncompressedSize > this.limits.maxFileBytes) {
      throw new ArchiveError(
        `entry ${entry.fileName} is ${formatBytes(entry.uncompressedSize)} inflated, over the ${formatBytes(this.limits.maxFileBytes)} limit per file (raise it with --max-file-mb)`,
        this.zipPath,
      );
    }
    try {
      const stream = await this.zip.openReadStreamPromise(entry);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    } catch (error) {
      throw new ArchiveError(`cannot read entry ${entry.fileName}: ${(error as Error).message}`, this.zipPath);
    }
  }

  async listFiles(): Promise<string[]> {
    return [...this.entries.keys()]
      .filter((name) => name.startsWith(this.prefix))
      .map((name) => name.slice(this.prefix.length))
      .sort();
  }

  locate(relativePath: string): string {
    return `${this.zipPath}${ZIP_ENTRY_SEPARATOR}${this.prefix}${safeRelative(relativePath, this.zipPath)}`;
  }

  async close(): Promise<void> {
    this.zip.close();
  }
}

/** Rejects absolute paths and `..` so that a hostile table cannot read outside the dataset. */
function safeRelative(relativePath: string, source: string): string {
  const normalized = posix.normalize(relativePath.replace(/\\/g, '/'));
  if (normalized.startsWith('/') || normalized === '..' || normalized.startsWith('../')) {
    throw new DatasetError(`path "${relativePath}" leaves the dataset`, source, null, 'path');
  }
  return normalized;
}

/**
 * Reads a file by a location from `FileSource.locate`: an absolute path, or `zip!/entry`.
 * Open zips are kept (a few at a time) so that reading many records from one zip stays cheap.
 */
export async function readFileAt(location: string): Promise<Uint8Array> {
  const split = location.indexOf(ZIP_ENTRY_SEPARATOR);
  if (split > 0 && isZipArchive(location.slice(0, split))) {
    const zipPath = location.slice(0, split);
    const source = await openCachedZip(zipPath);
    const bytes = await source.readFile(location.slice(split + ZIP_ENTRY_SEPARATOR.length));
    if (!bytes) throw new DatasetError('no such entry in zip', location);
    return bytes;
  }
  try {
    return await readFile(location);
  } catch (error) {
    throw new DatasetError(`cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, location);
  }
}

const openZips = new Map<string, Promise<ZipFileSource>>();
const MAX_OPEN_ZIPS = 4;

function openCachedZip(zipPath: string): Promise<ZipFileSource> {
  let source = openZips.get(zipPath);
  if (!source) {
    if (openZips.size >= MAX_OPEN_ZIPS) {
      const [oldestPath, oldest] = openZips.entries().next().value as [string, Promise<ZipFileSource>];
      openZips.delete(oldestPath);
      void oldest.then((s) => s.close()).catch(() => undefined);
    }
    source = ZipFileSource.open(zipPath);
    openZips.set(zipPath, source);
    source.catch(() => openZips.delete(zipPath));
  }
  return source;
}

/** Closes the zips kept open by `readFileAt`. */
export async function closeCachedZips(): Promise<void> {
  const sources = [...openZips.values()];
  openZips.clear();
  await Promise.all(sources.map((s) => s.then((z) => z.close()).catch(() => undefined)));
}

/**
 * A stored signal location (`FileSource.locate`) relative to its dataset: the entry inside a zip,
 * the path under the dataset folder or under the archive's extraction. Server paths (home folders,
 * cache layout) never show; a location outside all of these is reduced to its file name.
 */
export function relativeSignalPath(location: string, sourcePath: string): string {
  const inZip = location.indexOf(ZIP_ENTRY_SEPARATOR);
  if (inZip > 0) return location.slice(inZip + ZIP_ENTRY_SEPARATOR.length);
  const normalized = location.split(sep).join('/');
  const source = sourcePath.split(sep).join('/').replace(/\/$/, '');
  if (normalized.startsWith(`${source}/`)) return normalized.slice(source.length + 1);
  // Extracted archives live at <cache>/archives/<archive>-<key>/...
  const extracted = /\/archives\/[^/]+-[0-9a-f]{16}\/(.+)$/.exec(normalized);
  if (extracted) return extracted[1]!;
  return posix.basename(normalized);
}
