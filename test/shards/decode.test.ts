// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { encodeShard } from '../../pipeline/shards/encode.ts';
import { decodeShard, ShardFormatError } from '../../pipeline/shards/decode.ts';
import { parquetSchema } from '../../pipeline/shards/parquet-schema.ts';
import { COLUMNS } from '../../schemas/columns.ts';
import { SCHEMA_VERSION, SchemaVersionError } from '../../schemas/version.ts';
import type { RecordKind } from '../../schemas/records.ts';
import {
  errorRecords,
  imageRecords,
  regionTextRecords,
  textPhraseRegionRecords,
  textRecords,
} from '../helpers/sample-records.ts';

const SAMPLES: Record<RecordKind, unknown[]> = {
  image: imageRecords(60),
  text: textRecords(60),
  region_text: regionTextRecords(60),
  text_phrase_region: textPhraseRegionRecords(60),
  errors: errorRecords(20),
};

for (const [kind, rows] of Object.entries(SAMPLES) as [RecordKind, never[]][]) {
  test(`${kind}: rows written are the rows read back, with schema_version and kind metadata`, async () => {
    const bytes = encodeShard(kind, rows, { collection: 'demo', shard: '3' });
    const shard = await decodeShard(bytes, `${kind}.parquet`);
    assert.equal(shard.kind, kind);
    assert.equal(shard.schemaVersion, SCHEMA_VERSION);
    assert.equal(shard.meta.collection, 'demo');
    assert.equal(shard.meta.shard, '3');
    assert.equal(shard.rowCount, rows.length);
    assert.deepEqual(
      shard.columns.map((c) => c.name),
      COLUMNS[kind].map((c) => c.name),
    );
    assert.deepEqual(shard.rows, rows);
  });
}

test('the samples exercise nulls, empty lists and nested lists', () => {
  const rt = SAMPLES.region_text as ReturnType<typeof regionTextRecords>;
  assert.ok(rt.some((r) => r.quad === null) && rt.some((r) => r.quad !== null));
  assert.ok(rt.some((r) => r.noun_chunks.length === 0) && rt.some((r) => r.brief === null));
  const tpr = SAMPLES.text_phrase_region as ReturnType<typeof textPhraseRegionRecords>;
  assert.ok(tpr.some((r) => r.boxes.length > 1));
  const img = SAMPLES.image as ReturnType<typeof imageRecords>;
  assert.ok(img.some((r) => r.existing_boxes.length > 0) && img.some((r) => r.width === null));
});

test('a shard inside a larger Buffer (as fs and S3 bodies hand them out) decodes', async () => {
  const rows = textRecords(30);
  const bytes = encodeShard('text', rows);
  const inPool = Buffer.concat([Buffer.from('junk before'), bytes, Buffer.from('after')]).subarray(
    11,
    11 + bytes.byteLength,
  );
  assert.deepEqual((await decodeShard(inPool, 'pooled.parquet')).rows, rows);
});

test('an empty shard is a valid file with zero rows', async () => {
  const shard = await decodeShard(encodeShard('errors', []), 'errors.parquet');
  assert.equal(shard.kind, 'errors');
  assert.equal(shard.rowCount, 0);
  assert.deepEqual(shard.rows, []);
});

test('extra metadata cannot override schema_version or kind', () => {
  assert.throws(() => encodeShard('errors', [], { schema_version: '99' }), /schema_version/);
  assert.throws(() => encodeShard('errors', [], { kind: 'text' }), /kind/);
});

function foreignShard(kv: { key: string; value: string }[]): Uint8Array {
  const rows = errorRecords(3);
  const cols = COLUMNS.errors;
  const buf = parquetWriteBuffer({
    columnData: cols.map((c) => ({
      name: c.name,
      data: rows.map((r) => (r as Record<string, unknown>)[c.name]) as string[],
    })),
    schema: parquetSchema(cols),
    kvMetadata: kv,
  });
  return new Uint8Array(buf);
}

test('an unknown schema_version is refused naming the file and both versions', async () => {
  await assert.rejects(
    decodeShard(
      foreignShard([
        { key: 'schema_version', value: '99' },
        { key: 'kind', value: 'errors' },
      ]),
      'round-0/errors/shard-00001.parquet',
    ),
    (e: unknown) =>
      e instanceof SchemaVersionError &&
      /shard-00001/.test(e.message) &&
      /99/.test(e.message) &&
      e.message.includes(String(SCHEMA_VERSION)),
  );
});

test('a Parquet file without our metadata, or of an unknown kind, is a ShardFormatError', async () => {
  await assert.rejects(
    decodeShard(foreignShard([]), 'plain.parquet'),
    (e: unknown) =>
      e instanceof ShardFormatError && /plain\.parquet/.test(e.message) && /schema_version/.test(e.message),
  );
  await assert.rejects(
    decodeShard(
      foreignShard([
        { key: 'schema_version', value: String(SCHEMA_VERSION) },
        { key: 'kind', value: 'captions' },
      ]),
      'k.parquet',
    ),
    (e: unknown) => e instanceof ShardFormatError && /unknown kind "captions"/.test(e.message),
  );
});

test('a file whose columns do not match its kind is refused', async () => {
  const bytes = foreignShard([
    { key: 'schema_version', value: String(SCHEMA_VERSION) },
    { key: 'kind', value: 'text' },
  ]);
  await assert.rejects(
    decodeShard(bytes, 'mislabelled.parquet'),
    (e: unknown) => e instanceof ShardFormatError && /do not match kind text/.test(e.message),
  );
});

test('non-Parquet bytes and a truncated shard each give one ShardFormatError naming the file', async () => {
  await assert.rejects(
    decodeShard(new TextEncoder().encode('{"not": "parquet"}'), 'a.json'),
    (e: unknown) => e instanceof ShardFormatError && /^shard a\.json: not a Parquet file \(/.test(e.message),
  );
  await assert.rejects(decodeShard(new Uint8Array(0), 'empty.parquet'), ShardFormatError);
  const good = encodeShard('text', textRecords(50) as never);
  for (const cut of [good.byteLength - 1, Math.floor(good.byteLength / 2), 10]) {
    await assert.rejects(
      decodeShard(good.subarray(0, cut), 'cut.parquet'),
      (e: unknown) =>
        e instanceof ShardFormatError && /^shard cut\.parquet: truncated or corrupt Parquet file/.test(e.message),
    );
  }
});
