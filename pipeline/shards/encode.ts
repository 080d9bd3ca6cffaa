import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { COLUMNS } from '../../schemas/columns.ts';
import type { RecordKind, RecordOf } from '../../schemas/records.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import { parquetSchema } from './parquet-schema.ts';

/** Key-value metadata every shard carries; `extra` keys may not shadow these. */
export const RESERVED_META = ['schema_version', 'kind'] as const;

/**
 * Rows of one kind -> Parquet bytes (SNAPPY, dictionary pages where they pay, column statistics),
 * with key-value metadata `schema_version`, `kind` and any `extra` strings. Rows are not validated
 * here (writeShard does that); a value of the wrong shape fails inside the writer.
 * Chosen writer: hyparquet-writer, see docs/decisions.md "Parquet shards".
 */
export function encodeShard<K extends RecordKind>(
  kind: K,
  rows: readonly RecordOf<K>[],
  extra: Record<string, string> = {},
): Uint8Array {
  const columns = COLUMNS[kind];
  if (!columns) throw new Error(`encodeShard: unknown record kind ${JSON.stringify(kind)}`);
  for (const k of RESERVED_META) {
    if (k in extra) throw new Error(`encodeShard: extra metadata may not set "${k}"`);
  }
  return encodeColumns(parquetSchema(columns), rows as readonly Record<string, unknown>[], {
    schema_version: String(SCHEMA_VERSION),
    kind,
    ...extra,
  });
}

/**
 * Rows under any flat Parquet schema (root first, as parquetSchema gives) -> Parquet bytes with the
 * given key-value metadata, rows in the order given. The same writer and settings as the record
 * shards; the training export uses it. Deterministic: the same rows and metadata give the same bytes.
 */
export function encodeColumns(
  schema: SchemaElement[],
  rows: readonly Record<string, unknown>[],
  meta: Record<string, string>,
): Uint8Array {
  const columns = topLevelNames(schema).map((name) => ({ name }));
  const columnData: ColumnSource[] = columns.map((c) => {
    const data = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) data[i] = rows[i][c.name];
    return { name: c.name, data };
  });
  const buf = parquetWriteBuffer({
    columnData,
    schema,
    codec: 'SNAPPY',
    kvMetadata: Object.entries(meta).map(([key, value]) => ({ key, value })),
    createdBy: 'fld-engine (hyparquet-writer)',
  });
  return new Uint8Array(buf);
}

/** Names of the top-level columns of a flat, depth-first schema. */
function topLevelNames(schema: readonly SchemaElement[]): string[] {
  const names: string[] = [];
  let i = 1;
  const skip = (): void => {
    const n = schema[i++].num_children ?? 0;
    for (let c = 0; c < n; c++) skip();
  };
  for (let c = 0; c < (schema[0]?.num_children ?? 0); c++) {
    names.push(schema[i].name);
    skip();
  }
  return names;
}
