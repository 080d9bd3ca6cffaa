import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { COLUMNS } from '../../schemas/columns.ts';
import type { ImageRecord, RecordKind, RecordOf } from '../../schemas/records.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import { encodeImageRows } from './image-encode.ts';
import { parquetSchema } from './parquet-schema.ts';
import { snappy } from './snappy.ts';

/** Key-value metadata every shard carries; `extra` keys may not shadow these. */
export const RESERVED_META = ['schema_version', 'kind'] as const;

/**
 * Rows of one kind -> Parquet bytes (SNAPPY, dictionary pages where they pay, column statistics;
 * image shards have their own writer, image-encode.ts), with key-value metadata `schema_version`, `kind` and any
 * `extra` strings. Rows are not validated here (writeShard does that); a value of the wrong shape
 * fails inside the writer. Chosen writer: hyparquet-writer, see docs/decisions.md "Parquet shards".
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
  const meta = { schema_version: String(SCHEMA_VERSION), kind, ...extra };
  // image shards (one per thousand images at every enqueue) have their own writer; see image-encode.ts
  if (kind === 'image' && rows.length) return encodeImageRows(rows as readonly ImageRecord[], meta);
  return encodeColumns(parquetSchema(columns), rows as readonly Record<string, unknown>[], meta);
}

/**
 * Rows under any flat Parquet schema (root first, as parquetSchema gives) -> Parquet bytes with the
 * given key-value metadata, rows in the order given. The same writer and settings as the record
 * shards other than image shards; the training export uses it. Deterministic: the
 * same rows and metadata give the same bytes.
 */
export function encodeColumns(
  schema: SchemaElement[],
  rows: readonly Record<string, unknown>[],
  meta: Record<string, string>,
): Uint8Array {
  const columnData: ColumnSource[] = topLevelColumns(schema).map((c) => {
    const data = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) data[i] = rows[i][c.name];
    const col: ColumnSource = { name: c.name, data };
    // PLAIN said outright where the writer would choose it: it spares the writer's dictionary sample
    if (isFlatString(c) && rows.length <= FIRST_ROW_GROUP && asciiAsBytes(data) === 'plain') col.encoding = 'PLAIN';
    return col;
  });
  const buf = parquetWriteBuffer({
    columnData,
    schema,
    codec: 'SNAPPY',
    compressors: { SNAPPY: snappy.compress },
    statistics: true,
    kvMetadata: Object.entries(meta).map(([key, value]) => ({ key, value })),
    createdBy: 'fld-engine (hyparquet-writer)',
  });
  return new Uint8Array(buf);
}

/** The top-level columns of a flat, depth-first schema. */
function topLevelColumns(schema: readonly SchemaElement[]): SchemaElement[] {
  const top: SchemaElement[] = [];
  let i = 1;
  const skip = (): void => {
    const n = schema[i++].num_children ?? 0;
    for (let c = 0; c < n; c++) skip();
  };
  for (let c = 0; c < (schema[0]?.num_children ?? 0); c++) {
    top.push(schema[i]);
    skip();
  }
  return top;
}

/** Rows in hyparquet-writer's first row group (its default rowGroupSize starts at 1000). */
const FIRST_ROW_GROUP = 1000;

const isFlatString = (e: SchemaElement): boolean =>
  e.type === 'BYTE_ARRAY' && e.converted_type === 'UTF8' && !e.num_children;

/**
 * A string column whose values are all ASCII becomes UTF-8 views of one buffer, in place: one encode
 * per column instead of a TextEncoder call per value, and statistics compare bytes. The writer
 * writes the same file for them (test/shards/encode-ascii.test.ts): for ASCII a string's length is its
 * byte length, which its size estimates use, and byte order is code point order. Within one row group
 * only: on a longer column the dictionary's sample is a subset, and byte views are told apart there
 * by a 32-bit hash where strings are told apart exactly.
 *
 * Returns 'plain' when the writer's dictionary test (hyparquet-writer's useDictionary: within one row
 * group its sample is the whole column, so it comes down to its exact check that the dictionary plus
 * its indexes at most halve the PLAIN bytes) refuses a dictionary, 'auto' when the writer is to decide,
 * null when the column stays strings.
 */
function asciiAsBytes(data: unknown[]): 'plain' | 'auto' | null {
  const strings: string[] = [];
  for (const v of data) {
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string') return null;
    strings.push(v);
  }
  const text = strings.join('');
  const encoded = Buffer.from(text, 'utf8');
  if (encoded.length !== text.length) return null;
  // views of a plain Uint8Array: Buffer's own subarray makes each view in JS
  const bytes = new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length);
  const distinct = new Set<string>();
  let distinctBytes = 0;
  let at = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'string') continue;
    if (!distinct.has(v)) {
      distinct.add(v);
      distinctBytes += v.length;
    }
    data[i] = bytes.subarray(at, at + v.length);
    at += v.length;
  }
  const values = strings.length;
  if (values === 0) return 'plain';
  const plainSize = text.length + 4 * values;
  const indexSize = Math.ceil((values * Math.ceil(Math.log2(distinct.size))) / 8);
  return 2 * (distinctBytes + 4 * distinct.size + indexSize) > plainSize ? 'plain' : 'auto';
}
