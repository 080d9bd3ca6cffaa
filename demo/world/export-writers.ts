import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonlSink, parquetSink, type ExportSink } from '../../pipeline/export/sink.ts';
import { LocalStorage } from '../../pipeline/storage/local.ts';
import type { ExportRow } from './export-rows.ts';

/**
 * The world's training exports into a local folder, through the writers `fld export` uses
 * (pipeline/export/sink.ts): JSONL `<out>/<split>/annotations.jsonl` + image files, or Parquet
 * `<out>/<split>-NNNNN.parquet` with `image` as the HF datasets struct {bytes, path}.
 */
async function write(out: string, rows: ExportRow[], sink: ExportSink): Promise<string[]> {
  const cache = new Map<string, Buffer>();
  const bytes = (file: string) => cache.get(file) ?? (cache.set(file, readFileSync(file)), cache.get(file)!);
  // Grouped by split (stable), as the sinks write each split's rows in the order given.
  const splits = [...new Set(rows.map((r) => r.split))].sort();
  for (const s of splits)
    await sink.add(rows.filter((r) => r.split === s).map((row) => ({ row, bytes: bytes(row.image.file) })));
  return (await sink.finish()).files.map((f) => join(out, f.key));
}

export async function writeJsonlExport(out: string, rows: ExportRow[]): Promise<string[]> {
  return write(out, rows, await jsonlSink(new LocalStorage(out), ''));
}

export async function writeParquetExport(out: string, rows: ExportRow[], rowsPerShard = 8000): Promise<string[]> {
  return write(out, rows, parquetSink(new LocalStorage(out), '', rowsPerShard, {}));
}
