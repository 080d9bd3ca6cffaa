// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readShard, writeShard, openStoredShard } from '../../pipeline/shards/storage-io.ts';
import { ShardFormatError } from '../../pipeline/shards/decode.ts';
import { encodeShard } from '../../pipeline/shards/encode.ts';
import { layout } from '../../pipeline/layout.ts';
import { NotFoundError } from '../../pipeline/storage/storage.ts';
import { ValidationError } from '../../schemas/validate.ts';
import { MemoryStorage } from '../helpers/memory-storage.ts';
import { regionTextRecords, textPhraseRegionRecords } from '../helpers/sample-records.ts';

const key = layout.kind('demo', 0, 'region_text', 7);

test('writeShard puts once; readShard reads it back through getRange only', async () => {
  const s = new MemoryStorage();
  const rows = regionTextRecords(40);
  const w = await writeShard(s, key, 'region_text', rows, { shard: '7' });
  assert.equal(s.calls.put, 1);
  const stored = s.objects.get(key)!;
  assert.deepEqual(w, {
    key,
    kind: 'region_text',
    rows: 40,
    bytes: stored.byteLength,
    sha256: createHash('sha256').update(stored).digest('hex'),
  });
  const back = await readShard(s, key, 'region_text');
  assert.deepEqual(back.rows, rows);
  assert.equal(back.shard.meta.shard, '7');
  assert.equal(back.shard.file, `mem://test/${key}`);
  assert.equal(s.calls.get, 0);
  assert.ok(s.calls.getRange >= 1);
});

test('opening a large stored shard fetches its footer by range, not the whole object', async () => {
  const s = new MemoryStorage();
  const bytes = encodeShard('region_text', regionTextRecords(20_000));
  await s.put(key, bytes);
  const w = { bytes: bytes.byteLength };
  assert.ok(w.bytes > 600_000, `shard of ${w.bytes} bytes is too small to tell`);
  const shard = await openStoredShard(s, key);
  assert.equal(shard.rowCount, 20_000);
  assert.equal(s.calls.get, 0);
  assert.ok(s.calls.rangeBytes < w.bytes / 4, `fetched ${s.calls.rangeBytes} of ${w.bytes} bytes`);
});

test('a storage failure while reading passes through as itself, not as a format error', async () => {
  const s = new MemoryStorage();
  await writeShard(s, key, 'region_text', regionTextRecords(3));
  const outage = new Error('storage s3://b: connection refused');
  s.getRange = async () => {
    throw outage;
  };
  await assert.rejects(openStoredShard(s, key), (e: unknown) => e === outage);
});

test('readShard refuses a shard of another kind than expected', async () => {
  const s = new MemoryStorage();
  await writeShard(s, key, 'region_text', regionTextRecords(3));
  await assert.rejects(readShard(s, key, 'text'), /holds region_text rows, expected text/);
});

test('an invalid row is rejected naming the shard, the row index and the field; nothing is written', async () => {
  const s = new MemoryStorage();
  const rows = regionTextRecords(10);
  rows[6] = { ...rows[6], box: [0, 0, Number.POSITIVE_INFINITY, 4] };
  await assert.rejects(
    writeShard(s, key, 'region_text', rows),
    (e: unknown) =>
      e instanceof ValidationError &&
      e.message.includes(`region_text shard ${key}: row 6`) &&
      /box\[2\]/.test(e.message) &&
      /Infinity/.test(e.message),
  );
  const tpr = textPhraseRegionRecords(5);
  (tpr[2] as { boxes: unknown[] }).boxes = [];
  await assert.rejects(
    writeShard(s, 'x.parquet', 'text_phrase_region', tpr),
    (e: unknown) => e instanceof ValidationError && /row 2/.test(e.message) && /boxes/.test(e.message),
  );
  assert.equal(s.calls.put, 0);
  assert.equal(s.objects.size, 0);
});

test('a missing shard is NotFoundError; a non-Parquet object is a ShardFormatError naming the object', async () => {
  const s = new MemoryStorage();
  await assert.rejects(openStoredShard(s, 'nope.parquet'), NotFoundError);
  await s.put('bad.parquet', 'PAR1 this is not parquet');
  await assert.rejects(
    openStoredShard(s, 'bad.parquet'),
    (e: unknown) => e instanceof ShardFormatError && e.message.includes('mem://test/bad.parquet'),
  );
});
