import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp, { type FormatEnum } from 'sharp';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Source, SourceItem, SourceProblem } from '../../../pipeline/sources/types.ts';

/** A fresh temp folder per test; `done()` removes it. */
export function tempDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fld-sources-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a real small image (solid colour) in the format its extension names. */
export async function writeImage(path: string, width = 8, height = 6): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const ext = path.split('.').pop()!.toLowerCase();
  const img = sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 90 } } });
  const fmt = ext === 'jpg' ? 'jpeg' : ext === 'tif' ? 'tiff' : ext;
  writeFileSync(path, await img.toFormat(fmt as keyof FormatEnum).toBuffer());
}

export function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Writes a Parquet file with DuckDB from a SELECT (e.g. `SELECT * FROM (VALUES ...) t(uri, caption)`). */
export async function writeParquet(path: string, select: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`COPY (${select}) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

export async function collect(source: Source): Promise<{ items: SourceItem[]; problems: SourceProblem[] }> {
  const items: SourceItem[] = [];
  const problems: SourceProblem[] = [];
  for await (const e of source.entries()) {
    if (e.kind === 'item') items.push(e);
    else problems.push(e);
  }
  return { items, problems };
}
