/**
 * Writes round shards, image shards, done markers and manifests for the stats tests, in the layout
 * of pipeline/layout.ts. Shards are written by DuckDB with the physical types the shard writer uses
 * (pipeline/stats/sql-columns.ts) and the `schema_version` / `kind` key-value metadata. Well-formed shards
 * are written by the project's own encoder (pipeline/shards/encode.ts), so the stats queries are tested
 * on the files the engine writes; DuckDB writes only the malformed ones the refusal tests need.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RecordOf, RoundKind } from '../../schemas/records.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import { layout } from '../../pipeline/layout.ts';
import { SQL_COLUMNS } from '../../pipeline/stats/sql-columns.ts';
import { sqlString } from '../../pipeline/stats/sql.ts';
import { encodeShard } from '../../pipeline/shards/encode.ts';

function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return sqlString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : `'${v}'::DOUBLE`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  return `{${Object.entries(v as object)
    .map(([k, x]) => `${sqlString(k)}: ${literal(x)}`)
    .join(', ')}}`;
}

let conn: DuckDBConnection | null = null;
async function db(): Promise<DuckDBConnection> {
  conn ??= await (await DuckDBInstance.create(':memory:')).connect();
  return conn;
}

async function writeParquet(
  path: string,
  columns: Record<string, string>,
  rows: object[],
  meta: Record<string, string>,
): Promise<void> {
  const select = (row: Record<string, unknown> | null) =>
    `SELECT ${Object.entries(columns)
      .map(([c, t]) => `${row ? literal(row[c]) : 'NULL'}::${t} AS "${c}"`)
      .join(', ')}`;
  const body = rows.length
    ? rows.map((r) => select(r as Record<string, unknown>)).join(' UNION ALL ')
    : `${select(null)} WHERE false`;
  const kv = Object.entries(meta)
    .map(([k, v]) => `${k}: ${sqlString(v)}`)
    .join(', ');
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  await (await db()).run(`COPY (${body}) TO ${sqlString(tmp)} (FORMAT parquet, KV_METADATA {${kv}})`);
  renameSync(tmp, path);
}

export interface ShardOpts {
  /** Write another schema_version (for the refusal tests). */
  schemaVersion?: string;
  /** Leave these columns out (for the refusal tests). */
  dropColumns?: string[];
}

export async function writeRoundShard<K extends RoundKind>(
  root: string,
  collection: string,
  round: number,
  kind: K,
  shard: number,
  rows: RecordOf<K>[],
  opts: ShardOpts = {},
): Promise<void> {
  if (!opts.schemaVersion && !opts.dropColumns)
    return writeFileAtomic(join(root, layout.kind(collection, round, kind, shard)), encodeShard(kind, rows));
  const columns = Object.fromEntries(Object.entries(SQL_COLUMNS[kind]).filter(([c]) => !opts.dropColumns?.includes(c)));
  await writeParquet(join(root, layout.kind(collection, round, kind, shard)), columns, rows, {
    schema_version: opts.schemaVersion ?? String(SCHEMA_VERSION),
    kind,
  });
}

export async function writeImageShard(
  root: string,
  collection: string,
  shard: number,
  rows: RecordOf<'image'>[],
): Promise<void> {
  writeFileAtomic(join(root, layout.images(collection, shard)), encodeShard('image', rows));
}

function writeFileAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
}

export function writeDoneMarker(
  root: string,
  collection: string,
  round: number,
  stage: string,
  shard: number,
  marker: object,
): void {
  const path = join(root, layout.done(collection, round, stage, shard));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(marker));
}

export function writeManifest(root: string, collection: string, round: number, manifest: object): void {
  const path = join(root, layout.manifest(collection, round));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(manifest));
}
