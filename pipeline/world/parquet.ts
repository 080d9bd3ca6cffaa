import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { SCHEMA_VERSION, checkSchemaVersion } from '../../schemas/version.ts';

/**
 * The world's one door to Parquet, through DuckDB: rows go to a temporary JSONL file, DuckDB copies
 * them to Parquet with explicit column types, and the file is renamed into place. The project's own
 * shard writer is being chosen on another branch; swapping it in means changing only this file.
 */
export interface Column {
  name: string;
  /** DuckDB type of the column as stored, e.g. 'VARCHAR', 'DOUBLE[]', 'INTEGER'. */
  type: string;
  /** Binary values are passed as base64 text; 'blob' stores a BLOB, 'image' a {bytes, path} struct (HF datasets image). */
  binary?: 'blob' | 'image';
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

async function withDuck<T>(fn: (run: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  // One thread keeps row order and the bytes of the file the same from run to run.
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  try {
    return await fn(async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * Writes rows to `file` (temp then rename) with `schema_version` and any `metadata` as Parquet
 * key-value metadata. Binary column values must be Buffers.
 */
export async function writeParquet(
  file: string,
  columns: Column[],
  rows: Record<string, unknown>[],
  metadata: Record<string, string> = {},
): Promise<void> {
  const tmpDir = mkdtempSync(join(dirname(file), '.tmp-parquet-'));
  try {
    const jsonl = join(tmpDir, 'rows.jsonl');
    const lines = rows.map((r) => {
      const o: Record<string, unknown> = {};
      for (const c of columns) {
        const v = r[c.name];
        if (c.binary === 'blob') o[c.name] = (v as Buffer).toString('base64');
        else if (c.binary === 'image') {
          const img = v as { bytes: Buffer; path: string };
          o[c.name] = { bytes: img.bytes.toString('base64'), path: img.path };
        } else o[c.name] = v;
      }
      return JSON.stringify(o);
    });
    writeFileSync(jsonl, lines.length ? lines.join('\n') + '\n' : '');
    const readTypes = columns
      .map(
        (c) =>
          `${ident(c.name)}: ${quote(c.binary === 'blob' ? 'VARCHAR' : c.binary === 'image' ? 'STRUCT(bytes VARCHAR, path VARCHAR)' : c.type)}`,
      )
      .join(', ');
    const select = columns
      .map((c) => {
        const n = ident(c.name);
        if (c.binary === 'blob') return `from_base64(${n}) AS ${n}`;
        if (c.binary === 'image') return `struct_pack(bytes := from_base64(${n}.bytes), path := ${n}.path) AS ${n}`;
        return `CAST(${n} AS ${c.type}) AS ${n}`;
      })
      .join(', ');
    const part = join(tmpDir, 'out.parquet');
    await withDuck(async (run) => {
      const source = rows.length
        ? `read_json(${quote(jsonl)}, format = 'newline_delimited', columns = {${readTypes}})`
        : `(SELECT ${columns.map((c) => `NULL::${c.binary === 'image' ? 'STRUCT(bytes VARCHAR, path VARCHAR)' : c.binary ? 'VARCHAR' : c.type} AS ${ident(c.name)}`).join(', ')} LIMIT 0)`;
      const kv = Object.entries({ schema_version: String(SCHEMA_VERSION), ...metadata })
        .map(([k, v]) => `${ident(k)}: ${quote(v)}`)
        .join(', ');
      await run(
        `COPY (SELECT ${select} FROM ${source}) TO ${quote(part)} (FORMAT parquet, COMPRESSION zstd, KV_METADATA {${kv}})`,
      );
    });
    renameSync(part, file);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

/** Reads a whole Parquet file as plain JavaScript rows (lists as arrays, BLOBs as Uint8Array), refusing an unknown schema_version. */
export async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  return withDuck(async (run) => {
    const meta = await readMeta(run, file);
    checkSchemaVersion(`Parquet file ${file}`, meta.schema_version);
    return run(`SELECT * FROM read_parquet(${quote(file)})`);
  });
}

async function readMeta(
  run: (sql: string) => Promise<Record<string, unknown>[]>,
  file: string,
): Promise<Record<string, string>> {
  const rows = await run(`SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${quote(file)})`);
  return Object.fromEntries(rows.map((r) => [String(r.key), String(r.value)]));
}

/** The key-value metadata of a Parquet file. */
export async function readParquetMetadata(file: string): Promise<Record<string, string>> {
  return withDuck((run) => readMeta(run, file));
}
