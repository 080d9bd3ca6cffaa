// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { encodeColumns, encodeShard } from '../../pipeline/shards/encode.ts';
import { parquetSchema } from '../../pipeline/shards/parquet-schema.ts';
import { snappy } from '../../pipeline/shards/snappy.ts';
import { COLUMNS } from '../../schemas/columns.ts';
import type { RecordKind } from '../../schemas/records.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';

/**
 * The writer called with the rows' own strings and the kind's settings (its compressor too, so the
 * bytes compare the columns' encoding): what encodeShard wrote before it handed ASCII over as bytes.
 */
function reference(kind: RecordKind, rows: Record<string, unknown>[], extra: Record<string, string>): Uint8Array {
  const columns = COLUMNS[kind];
  const meta = { schema_version: String(SCHEMA_VERSION), kind, ...extra };
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: columns.map((c) => ({
        name: c.name,
        data: rows.map((r) => r[c.name]),
      })),
      schema: parquetSchema(columns),
      codec: 'SNAPPY',
      compressors: { SNAPPY: snappy.compress },
      statistics: true,
      kvMetadata: Object.entries(meta).map(([key, value]) => ({ key, value })),
      createdBy: 'fld-engine (hyparquet-writer)',
    }),
  );
}

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Image rows whose strings repeat more or less (so some columns take a dictionary), some long, some not ASCII. */
function imageRows(n: number, seed: number, distinct: number, unicode: boolean): Record<string, unknown>[] {
  const r = random(seed);
  const word = (k: number) => `w${Math.floor(r() * k)}`.repeat(1 + Math.floor(r() * 3));
  return Array.from({ length: n }, (_, i) => ({
    image_id: i.toString(16).padStart(16, '0'),
    uri: r() < 0.02 ? `/data/${'x'.repeat(200)}/${i}.jpg` : `/data/img/${i}.jpg`,
    width: r() < 0.5 ? null : 1 + Math.floor(r() * 2000),
    height: r() < 0.5 ? null : 1 + Math.floor(r() * 2000),
    collection: 'c',
    shard: 3,
    alt_text: r() < 0.2 ? null : r() < 0.05 ? '' : `${word(distinct)} ${unicode && r() < 0.01 ? 'café ☕' : ''}`,
    existing_texts: r() < 0.1 ? [{ granularity: 'brief', text: word(distinct) }] : [],
    existing_boxes: r() < 0.1 ? [{ box: [1, 2, 3.5, 4], category: word(5) }] : [],
    error: r() < 0.1 ? word(3) : null,
  }));
}

// Image rows through the general writer (encodeColumns, which the export and every other kind use;
// image shards themselves have their own writer, image-encode.test.ts): the rows have every column
// shape, ASCII and not, repeating and distinct.
test('image rows, general writer: the same bytes as the writer given strings, at and around one row group', () => {
  let cases = 0;
  for (const n of [1, 2, 7, 64, 999, 1000, 1001, 2500])
    for (const distinct of [1, 3, 40, 100_000])
      for (const unicode of [false, true]) {
        const rows = imageRows(n, n * 31 + distinct, distinct, unicode);
        const meta = { schema_version: String(SCHEMA_VERSION), kind: 'image', collection: 'c' };
        const ours = encodeColumns(parquetSchema(COLUMNS.image), rows, meta);
        assert.deepEqual(Buffer.from(ours), Buffer.from(reference('image', rows, { collection: 'c' })));
        cases++;
      }
  assert.equal(cases, 64);
});

test('text shards (a list of strings beside flat strings): the same bytes as the writer given strings', () => {
  const r = random(5);
  for (const n of [1, 10, 1000]) {
    const rows = Array.from({ length: n }, (_, i) => ({
      image_id: `img${i % 37}`,
      round: 1,
      text_id: `t${i}`,
      granularity: ['brief', 'detailed', 'more_detailed'][i % 3],
      text: `a thing ${Math.floor(r() * 10)}`,
      source: 'captioner@1',
      score: r() < 0.3 ? null : r(),
      sources: ['captioner@1', 'human'],
      objects: 1,
      attributes: 0,
      actions: 0,
      proper_nouns: 0,
      object_complexity: 0.5,
      action_complexity: 0,
    }));
    const ours = encodeShard('text', rows as never);
    assert.deepEqual(Buffer.from(ours), Buffer.from(reference('text', rows, {})));
  }
});
