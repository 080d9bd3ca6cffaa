import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';
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
export function encodeShard<K extends RecordKind>(kind: K, rows: readonly RecordOf<K>[], extra: Record<string, string> = {}): Uint8Array {
  const columns = COLUMNS[kind];
  if (!columns) throw new Error(`encodeShard: unknown record kind ${JSON.stringify(kind)}`);
  for (const k of RESERVED_META) {
    if (k in extra) throw new Error(`encodeShard: extra metadata may not set "${k}"`);
  }
  const columnData: ColumnSource[] = columns.map((c) => {
    const data = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) data[i] = (rows[i] as Record<string, unknown>)[c.name];
    return { name: c.name, data };
  });
  const kvMetadata = [
    { key: 'schema_version', value: String(SCHEMA_VERSION) },
    { key: 'kind', value: kind },
    ...Object.entries(extra).map(([key, value]) => ({ key, value })),
  ];
  const buf = parquetWriteBuffer({
    columnData,
    schema: parquetSchema(columns),
    codec: 'SNAPPY',
    kvMetadata,
    createdBy: 'fld-engine (hyparquet-writer)',
  });
  return new Uint8Array(buf);
}
