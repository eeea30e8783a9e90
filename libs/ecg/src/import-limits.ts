/**
 * Bounds on what an import reads, checked before anything is allocated or extracted: a 245 KB zip
 * can declare a 240 MB signal file, and a 46 KB tar.xz can expand to hundreds of megabytes.
 * The defaults are far above any 12-lead ECG dataset (PTB-XL's largest file is 120 kB, its
 * records 5,000 samples) and far below what would exhaust a laptop.
 */
export interface ImportLimits {
  /** Largest single file (table, header or signal file), in bytes. */
  maxFileBytes: number;
  /** Largest archive content (sum of its files' sizes once extracted), in bytes. */
  maxArchiveBytes: number;
  /** Most samples per lead in one record (a 10 s ECG at 500 Hz has 5,000). */
  maxSamplesPerRecord: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxFileBytes: 64 * MIB,
  maxArchiveBytes: 16 * 1024 * MIB,
  // One hour at 500 Hz.
  maxSamplesPerRecord: 1_800_000,
};

/** Human-readable size for limit messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MIB) return `${(bytes / (1024 * MIB)).toFixed(1)} GiB`;
  if (bytes >= MIB) return `${(bytes / MIB).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}
