import type { SchemaElement } from 'hyparquet';
import type { ColumnType, FieldSpec } from '../../schemas/columns.ts';

/**
 * schemas/columns.ts -> the flat, depth-first Parquet schema that hyparquet-writer takes. Lists are
 * the spec's 3-level form (`<name> (LIST) { repeated group list { required element } }`), which
 * DuckDB, Arrow and Spark all read back as typed lists; a bare `repeated` field would not round-trip
 * a null list.
 */
export function parquetSchema(columns: readonly FieldSpec[]): SchemaElement[] {
  const out: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  for (const c of columns) push(out, c.name, c.type, c.nullable);
  return out;
}

function push(out: SchemaElement[], name: string, t: ColumnType, nullable: boolean): void {
  const repetition_type = nullable ? 'OPTIONAL' : 'REQUIRED';
  if (t === 'string') {
    out.push({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type });
  } else if (t === 'int32') {
    out.push({ name, type: 'INT32', repetition_type });
  } else if (t === 'double') {
    out.push({ name, type: 'DOUBLE', repetition_type });
  } else if ('list' in t) {
    out.push({ name, repetition_type, converted_type: 'LIST', logical_type: { type: 'LIST' }, num_children: 1 });
    out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
    push(out, 'element', t.list, false);
  } else {
    out.push({ name, repetition_type, num_children: t.struct.length });
    for (const f of t.struct) push(out, f.name, f.type, f.nullable);
  }
}
