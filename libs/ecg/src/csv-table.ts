import { parse } from 'csv-parse/sync';
import { DatasetError } from './errors.ts';

export interface CsvRow {
  /** 1-based line in the file where the row ends (what an editor shows). */
  line: number;
  values: Record<string, string>;
}

/**
 * Parses a CSV table with a header row (a UTF-8 BOM is dropped) and checks that the required
 * columns exist. Errors name the file, the line and the column.
 */
export function parseCsvTable(bytes: Uint8Array, file: string, requiredColumns: readonly string[]): { columns: string[]; rows: CsvRow[] } {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  let columns: string[] = [];
  try {
    records = parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      bom: true,
      columns: (header: string[]) => {
        columns = header.map((c) => c.trim());
        return columns;
      },
      info: true,
      skip_empty_lines: true,
      relax_column_count: false,
    }) as { record: Record<string, string>; info: { lines: number } }[];
  } catch (error) {
    const e = error as Error & { lines?: number; code?: string };
    throw new DatasetError(`invalid CSV: ${e.message}`, file, e.lines ?? null);
  }
  for (const column of requiredColumns) {
    if (!columns.includes(column)) {
      throw new DatasetError(`missing column "${column}" (columns: ${columns.join(', ') || 'none'})`, file, 1, column);
    }
  }
  return { columns, rows: records.map((r) => ({ line: r.info.lines, values: r.record })) };
}
