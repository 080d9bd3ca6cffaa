import type { RecordKind } from './records.ts';

/**
 * The Parquet columns of each record kind, independent of any Parquet library: the shard writer
 * turns these into a Parquet schema, tests turn them into the DuckDB types they expect to read back.
 * Columns are named exactly as the record fields (schemas/records.ts), in the same order.
 *
 * Lists are Parquet's 3-level LIST (DuckDB reads `DOUBLE[]`); list elements are never null.
 * `span` stays one `INT32` list of two ([start, end)) rather than two columns, so a row read back
 * is the record as written and the column name is the field name.
 */
export type LeafType = 'string' | 'int32' | 'double';
export type ColumnType = LeafType | { list: ColumnType } | { struct: readonly FieldSpec[] };
export interface FieldSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
}

const req = (name: string, type: ColumnType): FieldSpec => ({ name, type, nullable: false });
const opt = (name: string, type: ColumnType): FieldSpec => ({ name, type, nullable: true });
const doubles = { list: 'double' } as const;
const strings = { list: 'string' } as const;

export const COLUMNS: Record<RecordKind, readonly FieldSpec[]> = {
  image: [
    req('image_id', 'string'),
    req('uri', 'string'),
    opt('width', 'int32'),
    opt('height', 'int32'),
    req('collection', 'string'),
    req('shard', 'int32'),
    opt('alt_text', 'string'),
    req('existing_texts', { list: { struct: [req('granularity', 'string'), req('text', 'string')] } }),
    req('existing_boxes', { list: { struct: [req('box', doubles), req('category', 'string')] } }),
    opt('error', 'string'),
  ],
  text: [
    req('image_id', 'string'),
    req('round', 'int32'),
    req('text_id', 'string'),
    req('granularity', 'string'),
    req('text', 'string'),
    req('source', 'string'),
    opt('score', 'double'),
    req('sources', strings),
    req('objects', 'int32'),
    req('attributes', 'int32'),
    req('actions', 'int32'),
    req('proper_nouns', 'int32'),
    req('object_complexity', 'double'),
    req('action_complexity', 'double'),
  ],
  region_text: [
    req('image_id', 'string'),
    req('round', 'int32'),
    req('region_id', 'string'),
    req('kind', 'string'),
    req('box', doubles),
    opt('quad', doubles),
    req('phrase', 'string'),
    opt('brief', 'string'),
    req('noun_chunks', strings),
    req('source', 'string'),
    opt('score', 'double'),
    req('sources', strings),
  ],
  text_phrase_region: [
    req('image_id', 'string'),
    req('round', 'int32'),
    req('text_id', 'string'),
    req('granularity', 'string'),
    req('phrase', 'string'),
    req('span', { list: 'int32' }),
    req('boxes', { list: doubles }),
    req('source', 'string'),
    opt('score', 'double'),
    req('sources', strings),
  ],
  errors: [req('image_id', 'string'), req('shard', 'int32'), req('stage', 'string'), req('message', 'string')],
};

/** The type DuckDB reports for a column (DESCRIBE / typeof), e.g. `DOUBLE[]`, `STRUCT(box DOUBLE[], category VARCHAR)[]`. */
export function duckdbType(t: ColumnType): string {
  if (t === 'string') return 'VARCHAR';
  if (t === 'int32') return 'INTEGER';
  if (t === 'double') return 'DOUBLE';
  if ('list' in t) return `${duckdbType(t.list)}[]`;
  return `STRUCT(${t.struct.map((f) => `${f.name} ${duckdbType(f.type)}`).join(', ')})`;
}
