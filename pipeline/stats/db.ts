import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ROUND_KINDS, type RoundKind } from '../../schemas/records.ts';
import { IMAGE_SQL_COLUMNS, SQL_COLUMNS } from './sql-columns.ts';
import type { RoundFiles } from './stats-inputs.ts';
import { checkShards } from './shard-check.ts';
import { fileList } from './sql.ts';

/** A DuckDB connection plus a helper returning plain rows (BIGINTs as numbers: counts fit easily). */
export class StatsDb {
  private constructor(readonly conn: DuckDBConnection) {}

  static async open(): Promise<StatsDb> {
    const instance = await DuckDBInstance.create(':memory:');
    const db = new StatsDb(await instance.connect());
    // "Tokens" are whitespace-separated words: the count of maximal runs of non-space characters.
    await db.conn.run(
      `CREATE MACRO ntok(s) AS CASE WHEN s IS NULL THEN NULL ELSE len(regexp_extract_all(s, '\\S+')) END`,
    );
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

function viewSql(files: string[], columns: Record<string, string>): string {
  const cols = Object.entries(columns).map(([c, t]) =>
    files.length ? `CAST("${c}" AS ${t}) AS "${c}"` : `NULL::${t} AS "${c}"`,
  );
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
  for (const kind of ROUND_KINDS) await checkShards(db, files.dir, files.shards[kind], kind, SQL_COLUMNS[kind]);
  await checkShards(db, files.dir, files.images, 'image', IMAGE_SQL_COLUMNS);
  for (const kind of ROUND_KINDS) {
    await db.run(
      `CREATE OR REPLACE VIEW ${prefix}${kind} AS ${viewSql(files.shards[kind], SQL_COLUMNS[kind as RoundKind])}`,
    );
  }
  await db.run(`CREATE OR REPLACE VIEW ${prefix}images AS ${viewSql(files.images, IMAGE_SQL_COLUMNS)}`);
}
