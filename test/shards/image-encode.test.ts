// @part unit
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { decodeShard } from '../../pipeline/shards/decode.ts';
import { encodeColumns, encodeShard } from '../../pipeline/shards/encode.ts';
import { parquetSchema } from '../../pipeline/shards/parquet-schema.ts';
import { COLUMNS } from '../../schemas/columns.ts';
import type { ImageRecord } from '../../schemas/records.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import { imageRecords } from '../helpers/sample-records.ts';

// Image shards have their own writer (image-encode.ts): the engine's reader and DuckDB must get
// back exactly the rows given, as from the general writer (hyparquet-writer) it replaced.
const dir = mkdtempSync(join(tmpdir(), 'fld-image-encode-'));
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
after(() => {
  con.closeSync();
  db.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS = ['a', 'thing', 'café ☕', '東京', '', 'naïve', 'x'.repeat(300), 'emoji 🦄 here', 'tab\tand "quotes"'];
const GRAN = ['brief', 'detailed', 'more_detailed'] as const;

/** Rows with every shape a column can take: nulls, empty and long lists, non-ASCII, repeating and distinct values. */
function rows(n: number, seed: number, opts: { collections?: number; shards?: number } = {}): ImageRecord[] {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const some = <T>(max: number, f: () => T) => Array.from({ length: r() < 0.6 ? 0 : 1 + Math.floor(r() * max) }, f);
  return Array.from({ length: n }, (_, i) => ({
    image_id: (i * 7919 + seed).toString(16).padStart(16, '0'),
    uri: r() < 0.05 ? `/data/${pick(WORDS)}/${i}.jpg` : `/data/img/${String(i).padStart(8, '0')}.jpg`,
    width: r() < 0.5 ? null : 1 + Math.floor(r() * 20000),
    height: r() < 0.5 ? null : 1 + Math.floor(r() * 20000),
    collection: opts.collections ? `col-${Math.floor(r() * opts.collections)}` : 'bench',
    shard: opts.shards ? Math.floor(r() * opts.shards) : 3,
    alt_text: r() < 0.2 ? null : `${pick(WORDS)} ${i}`,
    existing_texts: some(4, () => ({ granularity: pick(GRAN), text: pick(WORDS) })),
    existing_boxes: some(5, () => ({
      box: [r() * 100, r() * 100, 100 + r() * 1e6, 100 + r() * 0.5] as [number, number, number, number],
      category: pick(WORDS),
    })),
    error: r() < 0.1 ? pick(WORDS) : null,
  }));
}

const general = (rs: ImageRecord[]) =>
  encodeColumns(parquetSchema(COLUMNS.image), rs as unknown as Record<string, unknown>[], {
    schema_version: String(SCHEMA_VERSION),
    kind: 'image',
  });

const cases: [string, ImageRecord[]][] = [
  ['one row', rows(1, 1)],
  ['seven rows', rows(7, 2)],
  ['999 rows', rows(999, 3)],
  ['a full shard', rows(1000, 4)],
  ['two row groups', rows(1001, 5)],
  ['three row groups', rows(101_500, 6)],
  [
    'collections and shards that vary (dictionary indexes over one byte)',
    rows(2000, 7, { collections: 3, shards: 700 }),
  ],
  ['the sample records', imageRecords(1200)],
  [
    'uris sharing part of a multi-byte character, and a 100 KB alt-text',
    rows(6, 10).map((x, i) => ({
      ...x,
      uri: ['/data/東京/1.jpg', '/data/杜/2.jpg', '/data/杜/2.jpg', '/data/杜/2.jpgx', '/data/', '/d'][i],
      alt_text: i === 3 ? 'é'.repeat(50_000) : x.alt_text,
    })),
  ],
  [
    // the PLAIN columns' one-write paths: every value ASCII, some past 127 and 255 characters (the
    // length's first byte over 0x7f, and a second byte), one past 65,535 (a third)
    'ASCII only, values of 127, 128, 255, 256 and 70,000 characters',
    rows(12, 11).map((x, i) => ({
      ...x,
      uri: `/data/img/${i}.jpg`,
      alt_text: i % 6 === 5 ? null : 'a'.repeat([127, 128, 255, 256, 70_000][i % 6] ?? 1) + i,
      error: i === 7 ? 'e'.repeat(300) : null,
      existing_texts: [],
      existing_boxes: [],
    })),
  ],
  [
    'nothing optional anywhere',
    rows(50, 8).map((x) => ({
      ...x,
      width: null,
      height: null,
      alt_text: null,
      existing_texts: [],
      existing_boxes: [],
    })),
  ],
  [
    'everything present',
    rows(50, 9).map((x, i) => ({
      ...x,
      width: i + 1,
      height: 2 * i + 1,
      alt_text: `alt ${i}`,
      error: `err ${i}`,
      existing_texts: [{ granularity: 'brief' as const, text: `t${i}` }],
      existing_boxes: [{ box: [0, 0, i + 1, i + 1] as [number, number, number, number], category: 'c' }],
    })),
  ],
];

for (const [name, rs] of cases) {
  test(`image shards, ${name}: the engine's reader and DuckDB get the rows back, as from the general writer`, async () => {
    const bytes = encodeShard('image', rs, { collection: 'c' });
    const back = await decodeShard(bytes);
    assert.equal(back.kind, 'image');
    assert.equal(back.meta.collection, 'c');
    assert.equal(back.rowCount, rs.length);
    assert.deepEqual(back.rows, rs);
    assert.deepEqual(back.rows, (await decodeShard(general(rs))).rows);
    assert.deepEqual(encodeShard('image', rs, { collection: 'c' }), bytes, 'deterministic');
    const p = join(dir, 'shard.parquet');
    writeFileSync(p, bytes);
    const duck = (await con.runAndReadAll(`SELECT * FROM read_parquet('${p}')`)).getRowObjectsJS();
    assert.deepEqual(duck, rs);
  });
}
