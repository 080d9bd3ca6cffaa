/**
 * The Parquet writers compared by parquet-writers.bench.ts. Each takes the same JS records and the
 * column spec of schemas/columns.ts and leaves a SNAPPY-compressed Parquet file at `path`; the
 * conversion from records to what the library wants is part of what is timed.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  DuckDBInstance,
  LIST,
  DOUBLE,
  VARCHAR,
  INTEGER,
  STRUCT,
  listValue,
  structValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { parquetWriteBuffer } from 'hyparquet-writer';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import type { ColumnType, FieldSpec } from '../schemas/columns.ts';
import { duckdbType } from '../schemas/columns.ts';
import { parquetSchema } from '../pipeline/shards/parquet-schema.ts';

type Row = Record<string, unknown>;
export type Candidate = (rows: readonly Row[], columns: readonly FieldSpec[], path: string) => Promise<void>;

const require = createRequire(import.meta.url);

// ---- DuckDB (anchor): appender from JS, then COPY ... TO parquet ----
function duckType(t: ColumnType): DuckDBType {
  if (t === 'string') return VARCHAR;
  if (t === 'int32') return INTEGER;
  if (t === 'double') return DOUBLE;
  if ('list' in t) return LIST(duckType(t.list));
  return STRUCT(Object.fromEntries(t.struct.map((f) => [f.name, duckType(f.type)])));
}
function duckValue(t: ColumnType, v: unknown): DuckDBValue {
  if (v === null || v === undefined) return null;
  if (typeof t === 'string') return v as DuckDBValue;
  if ('list' in t) return listValue((v as unknown[]).map((x) => duckValue(t.list, x)));
  return structValue(Object.fromEntries(t.struct.map((f) => [f.name, duckValue(f.type, (v as Row)[f.name])])));
}

export const duckdb: Candidate = async (rows, columns, path) => {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run(`CREATE TABLE t (${columns.map((c) => `"${c.name}" ${duckdbType(c.type)}`).join(', ')})`);
  const app = await con.createAppender('t');
  const types = columns.map((c) => duckType(c.type));
  for (const r of rows) {
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i];
      const v = r[c.name];
      if (v === null || v === undefined) app.appendNull();
      else if (c.type === 'string') app.appendVarchar(v as string);
      else if (c.type === 'int32') app.appendInteger(v as number);
      else if (c.type === 'double') app.appendDouble(v as number);
      else app.appendValue(duckValue(c.type, v), types[i]);
    }
    app.endRow();
  }
  app.closeSync();
  await con.run(`COPY t TO '${path}' (FORMAT parquet, COMPRESSION snappy)`);
  con.closeSync();
  db.closeSync();
};

// ---- hyparquet-writer: columns transposed in JS, explicit 3-level LIST schema ----
export const hyparquetWriter: Candidate = async (rows, columns, path) => {
  const columnData = columns.map((c) => ({ name: c.name, data: rows.map((r) => r[c.name]) as unknown[] }));
  const buf = parquetWriteBuffer({ columnData: columnData as never, schema: parquetSchema(columns), codec: 'SNAPPY' });
  writeFileSync(path, new Uint8Array(buf));
};

// ---- parquet-wasm: apache-arrow builds the table, IPC into wasm, parquet-rs writes it ----
function arrowType(t: ColumnType): arrow.DataType {
  if (t === 'string') return new arrow.Utf8();
  if (t === 'int32') return new arrow.Int32();
  if (t === 'double') return new arrow.Float64();
  if ('list' in t) return new arrow.List(new arrow.Field('element', arrowType(t.list), false));
  return new arrow.Struct(t.struct.map((f) => new arrow.Field(f.name, arrowType(f.type), f.nullable)));
}
export const parquetWasm: Candidate = async (rows, columns, path) => {
  const vectors: Record<string, arrow.Vector> = {};
  for (const c of columns)
    vectors[c.name] = arrow.vectorFromArray(rows.map((r) => r[c.name]) as never, arrowType(c.type));
  const table = new arrow.Table(vectors);
  const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  const props = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.SNAPPY)
    .setDictionaryEnabled(true)
    .build();
  writeFileSync(path, pw.writeParquet(wasmTable, props));
};

// ---- parquetjs 0.11 and @dsnp/parquetjs: row at a time ----
// parquetjs 0.11 has no LIST annotation: lists are bare `repeated` fields (a null list becomes
// empty) and a list of lists needs a repeated group. @dsnp/parquetjs can write the 3-level LIST.
type PjsField = Record<string, unknown>;
function pjsLeaf(t: 'string' | 'int32' | 'double'): string {
  return t === 'string' ? 'UTF8' : t === 'int32' ? 'INT32' : 'DOUBLE';
}
function pjsField(t: ColumnType, nullable: boolean, annotatedLists: boolean): PjsField {
  const compression = 'SNAPPY';
  if (typeof t === 'string') return { type: pjsLeaf(t), optional: nullable, compression };
  if ('list' in t) {
    if (annotatedLists) {
      return {
        type: 'LIST',
        optional: nullable,
        fields: { list: { repeated: true, fields: { element: pjsField(t.list, false, true) } } },
      };
    }
    if (typeof t.list === 'string') return { type: pjsLeaf(t.list), repeated: true, compression };
    return { repeated: true, fields: { element: pjsField(t.list, false, false) } };
  }
  return {
    optional: nullable,
    fields: Object.fromEntries(t.struct.map((f) => [f.name, pjsField(f.type, f.nullable, annotatedLists)])),
  };
}
function pjsValue(t: ColumnType, v: unknown, annotatedLists: boolean): unknown {
  if (v === null || v === undefined) return annotatedLists || typeof t === 'string' || !('list' in t) ? undefined : [];
  if (typeof t === 'string') return v;
  if ('list' in t) {
    const xs = (v as unknown[]).map((x) => pjsValue(t.list, x, annotatedLists));
    if (annotatedLists) return { list: xs.map((element) => ({ element })) };
    return typeof t.list === 'string' ? xs : xs.map((element) => ({ element }));
  }
  return Object.fromEntries(t.struct.map((f) => [f.name, pjsValue(f.type, (v as Row)[f.name], annotatedLists)]));
}
function parquetjsLike(mod: string, annotatedLists: boolean): Candidate {
  return async (rows, columns, path) => {
    const lib = require(mod);
    const schema = new lib.ParquetSchema(
      Object.fromEntries(columns.map((c) => [c.name, pjsField(c.type, c.nullable, annotatedLists)])),
    );
    const writer = await lib.ParquetWriter.openFile(schema, path);
    for (const r of rows) {
      const out: Row = {};
      for (const c of columns) out[c.name] = pjsValue(c.type, r[c.name], annotatedLists);
      await writer.appendRow(out);
    }
    await writer.close();
  };
}
export const parquetjs = parquetjsLike('parquetjs', false);
export const dsnpParquetjs = parquetjsLike('@dsnp/parquetjs', true);
