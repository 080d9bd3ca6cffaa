import { DuckDBInstance } from '@duckdb/node-api';
import type { ColumnType } from '../../schemas/columns.ts';
import { SCHEMA_VERSION, checkSchemaVersion } from '../../schemas/version.ts';
import { encodeColumns } from '../../pipeline/shards/encode.ts';
import { parquetSchema } from '../../pipeline/shards/parquet-schema.ts';
import { writeAtomic } from './files.ts';

/**
 * The world's one door to Parquet. Files are written by the engine's shard writer
 * (pipeline/shards/encode.ts, docs/decisions.md "Parquet shards") and read back through DuckDB, a
 * reader independent of that writer.
 */
export interface Column {
  name: string;
  /** The type DuckDB reads the column back as: 'VARCHAR', 'INTEGER', 'DOUBLE', or a list of one of them ('DOUBLE[]'). */
  type: string;
}

const LEAVES: Record<string, ColumnType> = { VARCHAR: 'string', INTEGER: 'int32', DOUBLE: 'double' };

function columnType(type: string): ColumnType {
  if (type.endsWith('[]')) return { list: columnType(type.slice(0, -2)) };
  const leaf = LEAVES[type];
  if (!leaf)
    throw new Error(
      `writeParquet: column type ${JSON.stringify(type)} is none of ${Object.keys(LEAVES).join(', ')} or a list of one`,
    );
  return leaf;
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

async function withDuck<T>(fn: (run: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  // One thread keeps the rows in file order.
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
 * Writes rows to `file` (temp then rename), with `schema_version` and any `metadata` as Parquet
 * key-value metadata. Every column may hold nulls, as in a table; list elements may not.
 */
export async function writeParquet(
  file: string,
  columns: Column[],
  rows: Record<string, unknown>[],
  metadata: Record<string, string> = {},
): Promise<void> {
  const schema = parquetSchema(columns.map((c) => ({ name: c.name, type: columnType(c.type), nullable: true })));
  const bytes = encodeColumns(schema, rows, { schema_version: String(SCHEMA_VERSION), ...metadata });
  writeAtomic(file, bytes);
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
