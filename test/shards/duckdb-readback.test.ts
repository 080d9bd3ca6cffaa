// @part unit
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { decodeShard } from '../../pipeline/shards/decode.ts';
import { encodeShard } from '../../pipeline/shards/encode.ts';
import { COLUMNS, duckdbType } from '../../schemas/columns.ts';
import type { RecordKind } from '../../schemas/records.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import {
  errorRecords,
  imageRecords,
  regionTextRecords,
  textPhraseRegionRecords,
  textRecords,
} from '../helpers/sample-records.ts';

// Every kind the project writes, read back by DuckDB from a real file: the types a downstream user
// (DuckDB, Spark, pandas via Arrow) sees must be the typed lists and structs, not strings or blobs.
const dir = mkdtempSync(join(tmpdir(), 'fld-duck-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
after(() => {
  con.closeSync();
  db.closeSync();
});

const SAMPLES: Record<RecordKind, Record<string, unknown>[]> = {
  image: imageRecords(50),
  text: textRecords(50),
  region_text: regionTextRecords(50),
  text_phrase_region: textPhraseRegionRecords(50),
  errors: errorRecords(20),
};

function file(kind: RecordKind, rows: Record<string, unknown>[]): string {
  const p = join(dir, `${kind}.parquet`);
  writeFileSync(p, encodeShard(kind, rows as never));
  return p;
}

for (const [kind, rows] of Object.entries(SAMPLES) as [RecordKind, Record<string, unknown>[]][]) {
  test(`${kind}: DuckDB reads the expected column types, row count and values`, async () => {
    const p = file(kind, rows);
    const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${p}')`)).getRowObjectsJS();
    assert.deepEqual(
      desc.map((d) => [d.column_name, String(d.column_type).replaceAll('"', '')]), // DuckDB quotes keyword field names ("text")
      COLUMNS[kind].map((c) => [c.name, duckdbType(c.type)]),
    );
    const back = (await con.runAndReadAll(`SELECT * FROM read_parquet('${p}')`)).getRowObjectsJS();
    assert.equal(back.length, rows.length);
    // Values, column by column; DuckDB's JS values are plain numbers, strings, arrays and objects here.
    assert.deepEqual(back, rows);
  });
}

test('DuckDB sees the key-value metadata and can query nested columns', async () => {
  const p = file('text_phrase_region', SAMPLES.text_phrase_region);
  const kv = (
    await con.runAndReadAll(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${p}')`)
  ).getRowObjectsJS();
  const meta = Object.fromEntries(kv.map((r) => [r.k, r.v]));
  assert.equal(meta.schema_version, String(SCHEMA_VERSION));
  assert.equal(meta.kind, 'text_phrase_region');
  const [r] = (
    await con.runAndReadAll(
      `SELECT sum(len(boxes)) AS nboxes, max(boxes[1][3] - boxes[1][1]) AS maxw, min(span[2] - span[1]) AS minlen FROM read_parquet('${p}')`,
    )
  ).getRowObjectsJS();
  const rows = SAMPLES.text_phrase_region as ReturnType<typeof textPhraseRegionRecords>;
  assert.equal(
    Number(r.nboxes),
    rows.reduce((a, x) => a + x.boxes.length, 0),
  );
  assert.equal(r.maxw, Math.max(...rows.map((x) => x.boxes[0][2] - x.boxes[0][0])));
  assert.equal(r.minlen, Math.min(...rows.map((x) => x.span[1] - x.span[0])));
});

test('image shards as enqueue writes them (their own writer: no statistics, only free text compressed) read back the same rows', async () => {
  // two row groups, and ids as the planner makes them: hex digests of the uri
  const rows = imageRecords(2500).map((r) => ({
    ...r,
    image_id: createHash('sha256').update(r.uri).digest('hex').slice(0, 16),
  }));
  const bytes = encodeShard('image', rows, { collection: 'demo' });
  const p = join(dir, 'image-enqueue.parquet');
  writeFileSync(p, bytes);
  const chunks = (
    await con.runAndReadAll(
      `SELECT row_group_id, path_in_schema, compression, encodings, stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata('${p}')`,
    )
  ).getRowObjectsJS();
  assert.deepEqual([...new Set(chunks.map((c) => Number(c.row_group_id)))], [0, 1]);
  for (const c of chunks) {
    const text = c.path_in_schema === 'alt_text' || String(c.path_in_schema).endsWith('element, text');
    assert.equal(c.compression, text ? 'SNAPPY' : 'UNCOMPRESSED', String(c.path_in_schema));
    if (c.path_in_schema === 'uri') assert.match(String(c.encodings), /DELTA_BYTE_ARRAY/);
    assert.deepEqual([c.stats_min_value, c.stats_max_value, c.stats_null_count], [null, null, null]);
  }
  assert.deepEqual((await con.runAndReadAll(`SELECT * FROM read_parquet('${p}')`)).getRowObjectsJS(), rows);
  // a filter DuckDB cannot prune by statistics still finds its rows
  const [last] = rows.slice(-1);
  const hit = (
    await con.runAndReadAll(`SELECT uri FROM read_parquet('${p}') WHERE image_id = '${last.image_id}'`)
  ).getRowObjectsJS();
  assert.deepEqual(hit, [{ uri: last.uri }]);
  assert.deepEqual((await decodeShard(bytes)).rows, rows);
});
