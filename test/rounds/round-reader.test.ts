// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layout } from '../../pipeline/layout.ts';
import {
  collectionsWithRound,
  listDoneMarkers,
  listRound,
  readManifestObject,
  roundsOf,
} from '../../pipeline/rounds/round-reader.ts';
import { MemoryStorage } from '../helpers/memory-storage.ts';

test('a round is read by the keys the engine writes: shards in shard order, temp files and strays left out', async () => {
  const s = new MemoryStorage('s3://bucket', 2);
  for (const k of [
    layout.kind('c', 0, 'text', 2),
    layout.kind('c', 0, 'text', 0),
    'c/round-0/text/.tmp-shard-00001.parquet',
    'c/round-0/text/sub/shard-00003.parquet',
    layout.kind('c', 0, 'errors', 1),
    layout.images('c', 0),
    layout.done('c', 0, 'merge', 1),
    layout.done('c', 0, 'annotate:detector', 0),
    layout.done('c', 0, 'merge', 0),
    layout.kind('c', 2, 'text', 0),
    layout.kind('d', 2, 'text', 0),
  ])
    await s.put(k, 'x');
  const r = await listRound(s, 'c', 0);
  assert.deepEqual(
    r.files.text.map((f) => f.shard),
    [0, 2],
  );
  assert.deepEqual(r.files.errors, [{ shard: 1, key: 'c/round-0/errors/shard-00001.parquet' }]);
  assert.deepEqual(r.files.region_text, []);
  assert.deepEqual(
    r.images.map((f) => f.key),
    ['c/images/shard-00000.parquet'],
  );
  assert.equal(r.closed, false);
  assert.deepEqual(
    (await listDoneMarkers(s, 'c', 0)).map((d) => `${d.stage}/${d.shard}`),
    ['annotate_detector/0', 'merge/0', 'merge/1'],
  );
  assert.deepEqual(await roundsOf(s, 'c'), [0, 2]);
  assert.deepEqual(await collectionsWithRound(s, 2), ['c', 'd']);
  assert.deepEqual(await collectionsWithRound(s, 1), []);
});

test('a manifest read for the fields a reader knows: its schema_version is checked, nothing else', async () => {
  const s = new MemoryStorage();
  assert.equal(await readManifestObject(s, 'c', 0), null);
  await s.put(layout.manifest('c', 0), JSON.stringify({ schema_version: 1, quality: { x: 1 } }));
  assert.deepEqual(await readManifestObject(s, 'c', 0), { schema_version: 1, quality: { x: 1 } });
  await s.put(layout.manifest('c', 1), JSON.stringify({ schema_version: 7 }));
  await assert.rejects(readManifestObject(s, 'c', 1), /mem:\/\/test\/c\/round-1\/_manifest\.json: schema_version 7/);
  await s.put(layout.manifest('c', 2), '[1]');
  await assert.rejects(readManifestObject(s, 'c', 2), /_manifest\.json: not a JSON object/);
  await s.put(layout.manifest('c', 3), '{');
  await assert.rejects(readManifestObject(s, 'c', 3), /_manifest\.json: not JSON/);
});
