import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { relative } from 'node:path';
import { ROUND_KINDS, type RoundKind } from '../../schemas/records.ts';
import { SchemaVersionError, checkSchemaVersion } from '../../schemas/version.ts';
import { IMAGE_SQL_COLUMNS, SQL_COLUMNS } from './columns.ts';
import { StatsInputError } from './errors.ts';
import type { RoundFiles } from './round-files.ts';

/** A DuckDB connection plus a helper returning plain rows (BIGINTs as numbers: counts fit easily). */
export class StatsDb {
  private constructor(readonly conn: DuckDBConnection) {}

  static async open(): Promise<StatsDb> {
    const instance = await DuckDBInstance.create(':memory:');
    const db = new StatsDb(await instance.connect());
    // "Tokens" are whitespace-separated words: the count of maximal runs of non-space characters.
    await db.conn.run(`CREATE MACRO ntok(s) AS CASE WHEN s IS NULL THEN NULL ELSE len(regexp_extract_all(s, '\\S+')) END`);
    return db;
  }

  async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const r = await this.conn.runAndReadAll(sql);
    return r.getRowObjectsJS().map((row) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(row)) out[k] = toPlain(v);
      return out as T;
    });
  }

  async run(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  close(): void {
    this.conn.closeSync();
  }
}

function toPlain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(toPlain);
  return v;
}

export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;
const fileList = (files: string[]): string => `[${files.map(sqlString).join(', ')}]`;

/** Each shard's key-value metadata must say `schema_version` = ours and `kind` = its folder. */
async function checkShardMetadata(db: StatsDb, root: string, files: string[], kind: string): Promise<void> {
  if (files.length === 0) return;
  let meta: { file_name: string; k: string; v: string }[];
  try {
    meta = await db.rows(`SELECT file_name, decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${fileList(files)})`);
  } catch (e) {
    throw new StatsInputError(`stats: cannot read the Parquet metadata of the ${kind} shards: ${(e as Error).message}`);
  }
  for (const f of files) {
    const name = relative(root, f);
    const kv = new Map(meta.filter((m) => m.file_name === f).map((m) => [m.k, m.v]));
    if (!kv.has('schema_version')) throw new StatsInputError(`stats: shard ${name} has no schema_version in its Parquet metadata`);
    try {
      checkSchemaVersion(`shard ${name}`, kv.get('schema_version'));
    } catch (e) {
      if (e instanceof SchemaVersionError) throw new StatsInputError(`stats: ${e.message}`);
      throw e;
    }
    if (kind !== 'image' && kv.get('kind') !== kind) {
      throw new StatsInputError(`stats: shard ${name} says kind ${JSON.stringify(kv.get('kind') ?? null)} but lies in the ${kind} folder`);
    }
  }
}

function viewSql(files: string[], columns: Record<string, string>): string {
  const cols = Object.entries(columns).map(([c, t]) => (files.length ? `CAST("${c}" AS ${t}) AS "${c}"` : `NULL::${t} AS "${c}"`));
  return files.length
    ? `SELECT ${cols.join(', ')} FROM read_parquet(${fileList(files)}, union_by_name = true)`
    : `SELECT ${cols.join(', ')} WHERE false`;
}

/**
 * Checks a round's shards and registers one view per kind, named `<prefix><kind>` (e.g. `r1_text`),
 * plus `<prefix>images` over the collection's image records. A kind with no shards is an empty view,
 * so every query runs on every round.
 */
export async function registerRound(db: StatsDb, files: RoundFiles, prefix: string): Promise<void> {
  for (const kind of ROUND_KINDS) {
    await checkShardMetadata(db, files.root, files.shards[kind], kind);
  }
  await checkShardMetadata(db, files.root, files.images, 'image');
  for (const kind of ROUND_KINDS) {
    await db.run(`CREATE OR REPLACE VIEW ${prefix}${kind} AS ${viewSql(files.shards[kind], SQL_COLUMNS[kind as RoundKind])}`);
  }
  await db.run(`CREATE OR REPLACE VIEW ${prefix}images AS ${viewSql(files.images, IMAGE_SQL_COLUMNS)}`);
}
