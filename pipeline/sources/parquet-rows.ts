import { DuckDBInstance } from '@duckdb/node-api';
import { SourceError } from './types.ts';

/**
 * Streams the rows of one local Parquet file through DuckDB (one in-memory instance per read),
 * chunk by chunk, so a manifest of millions of rows is never held whole. Columns that are not
 * strings or numbers (lists, structs: e.g. a `boxes` column of structs) come out as JSON text, so
 * readers parse them the same way as a CSV's JSON cells. `row` is the 1-based row in the file.
 * Rows come in file order without an ORDER BY (a sort of 100M rows would spill): DuckDB's
 * preserve_insertion_order is on by default and this instance never turns it off.
 */

export interface ParquetColumn {
  name: string;
  type: string;
}

export async function parquetColumns(file: string, description: string): Promise<ParquetColumn[]> {
  return withConnection(file, description, async (conn) => {
    const r = await conn.run(`DESCRIBE SELECT * FROM read_parquet(${literal(file)})`);
    return (await r.getRowObjectsJson()).map((o) => ({ name: String(o.column_name), type: String(o.column_type) }));
  });
}

export async function* parquetRows(
  file: string,
  description: string,
  wanted: string[],
): AsyncIterable<{ row: number; values: Record<string, unknown> }> {
  const cols = await parquetColumns(file, description);
  const have = new Map(cols.map((c) => [c.name, c.type]));
  const select = wanted
    .filter((w) => have.has(w))
    .map((w) => {
      const t = have.get(w)!;
      const id = `"${w.replaceAll('"', '""')}"`;
      return /^(VARCHAR|BIGINT|INTEGER|SMALLINT|TINYINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|DOUBLE|FLOAT|BOOLEAN)$/.test(
        t,
      )
        ? id
        : `to_json(${id})::VARCHAR AS ${id}`;
    });
  select.push('file_row_number');
  const instance = await open(description);
  const conn = await instance.connect();
  try {
    const result = await conn.stream(
      `SELECT ${select.join(', ')} FROM read_parquet(${literal(file)}, file_row_number = true)`,
    );
    for await (const rows of result.yieldRowObjectJson()) {
      for (const values of rows) yield { row: Number(values.file_row_number) + 1, values };
    }
  } catch (e) {
    throw e instanceof SourceError
      ? e
      : new SourceError(description, `cannot read Parquet: ${(e as Error).message}`, { cause: e });
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function withConnection<T>(
  file: string,
  description: string,
  f: (conn: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<T>,
): Promise<T> {
  const instance = await open(description);
  const conn = await instance.connect();
  try {
    return await f(conn);
  } catch (e) {
    throw new SourceError(description, `cannot read Parquet ${file}: ${(e as Error).message}`, { cause: e });
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function open(description: string): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(':memory:', { threads: '2' });
  } catch (e) {
    throw new SourceError(description, `cannot start DuckDB: ${(e as Error).message}`, { cause: e });
  }
}

/** A SQL string literal; DuckDB table functions take no bound parameters for the path. */
function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
