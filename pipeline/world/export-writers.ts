import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from './files.ts';
import { writeParquet } from './parquet.ts';
import type { ExportRow } from './export-rows.ts';

/**
 * Writers of the training export. JSONL: `<out>/<split>/annotations.jsonl` with `image` (a file name
 * beside it), `prefix`, `suffix`, `task`, the layout maestro and the Florence-2 fine-tuning scripts
 * read, and the one the Python reference trainer reads (Debian has no pyarrow). Parquet:
 * `<out>/<split>-NNNNN.parquet` with `image` as the HF datasets struct {bytes, path}, `task`,
 * `prefix`, `suffix`, `split`.
 */
function splits(rows: ExportRow[]): Map<string, ExportRow[]> {
  const m = new Map<string, ExportRow[]>();
  for (const r of rows) m.set(r.split, [...(m.get(r.split) ?? []), r]);
  return new Map([...m.entries()].sort());
}

export function writeJsonlExport(out: string, rows: ExportRow[]): string[] {
  const files: string[] = [];
  for (const [split, list] of splits(rows)) {
    const dir = join(out, split);
    mkdirSync(dir, { recursive: true });
    for (const name of new Set(list.map((r) => r.image.name))) {
      const r = list.find((x) => x.image.name === name)!;
      if (!existsSync(join(dir, name))) copyFileSync(r.image.file, join(dir, name));
    }
    const file = join(dir, 'annotations.jsonl');
    writeAtomic(file, list.map((r) => JSON.stringify({ image: r.image.name, prefix: r.prefix, suffix: r.suffix, task: r.task })).join('\n') + '\n');
    files.push(file);
  }
  return files;
}

export async function writeParquetExport(out: string, rows: ExportRow[], rowsPerShard = 8000): Promise<string[]> {
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const cache = new Map<string, Buffer>();
  const bytes = (file: string) => cache.get(file) ?? (cache.set(file, readFileSync(file)), cache.get(file)!);
  for (const [split, list] of splits(rows)) {
    for (let n = 0; n * rowsPerShard < list.length; n++) {
      const part = list.slice(n * rowsPerShard, (n + 1) * rowsPerShard);
      const file = join(out, `${split}-${String(n).padStart(5, '0')}.parquet`);
      await writeParquet(
        file,
        [{ name: 'image', type: 'STRUCT(bytes BLOB, path VARCHAR)', binary: 'image' }, { name: 'task', type: 'VARCHAR' }, { name: 'prefix', type: 'VARCHAR' }, { name: 'suffix', type: 'VARCHAR' }, { name: 'split', type: 'VARCHAR' }],
        part.map((r) => ({ image: { bytes: bytes(r.image.file), path: r.image.name }, task: r.task, prefix: r.prefix, suffix: r.suffix, split: r.split })),
      );
      files.push(file);
    }
  }
  return files;
}
