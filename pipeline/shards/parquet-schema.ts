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

/**
 * A column's type in words, from the file's own schema: `string`, `int32`, `double`, `list<double>`,
 * `struct<box: list<double>, category: string>`, `?` marking a nullable column. Used by `fld inspect`
 * and to check that a file's columns are the ones its kind should have.
 */
export function describeColumns(schema: readonly SchemaElement[]): { name: string; type: string }[] {
  let i = 1;
  const next = (): string => {
    const e = schema[i++];
    if (!e) throw new Error('schema ends early');
    const nullable = e.repetition_type === 'OPTIONAL' ? '?' : '';
    const children = e.num_children ?? 0;
    if (e.converted_type === 'LIST' || e.logical_type?.type === 'LIST') {
      const repeated = schema[i++];
      if (repeated?.num_children !== 1) throw new Error(`list "${e.name}" is not a 3-level LIST`);
      return `list<${next()}>${nullable}`;
    }
    if (children > 0) {
      const fields: string[] = [];
      for (let c = 0; c < children; c++) {
        const name = schema[i]?.name;
        fields.push(`${name}: ${next()}`);
      }
      return `struct<${fields.join(', ')}>${nullable}`;
    }
    const leaf =
      e.type === 'BYTE_ARRAY' && (e.converted_type === 'UTF8' || e.logical_type?.type === 'STRING')
        ? 'string'
        : String(e.type).toLowerCase();
    return e.repetition_type === 'REPEATED' ? `repeated ${leaf}` : `${leaf}${nullable}`;
  };
  const out: { name: string; type: string }[] = [];
  const top = schema[0]?.num_children ?? 0;
  for (let c = 0; c < top; c++) {
    const name = schema[i]?.name ?? '?';
    out.push({ name, type: next() });
  }
  return out;
}
