// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  readDoneMarker,
  readManifest,
  summarizeFiles,
  writeDoneMarker,
  writeManifest,
} from '../../pipeline/shards/round-files.ts';
import { writeShard } from '../../pipeline/shards/storage-io.ts';
import { layout } from '../../pipeline/layout.ts';
import { ValidationError } from '../../schemas/validate.ts';
import { SCHEMA_VERSION, SchemaVersionError } from '../../schemas/version.ts';
import { MemoryStorage } from '../helpers/memory-storage.ts';
import { errorRecords, regionTextRecords, textRecords } from '../helpers/sample-records.ts';

async function roundOf(s: MemoryStorage) {
  const files = [
    { ...(await writeShard(s, layout.kind('demo', 1, 'text', 0), 'text', textRecords(12))), shard: 0 },
    {
      ...(await writeShard(s, layout.kind('demo', 1, 'region_text', 0), 'region_text', regionTextRecords(30))),
      shard: 0,
    },
    {
      ...(await writeShard(s, layout.kind('demo', 1, 'region_text', 2), 'region_text', regionTextRecords(5, 9))),
      shard: 2,
    },
    { ...(await writeShard(s, layout.kind('demo', 1, 'errors', 2), 'errors', errorRecords(2))), shard: 2 },
  ];
  return {
    collection: 'demo',
    round: 1,
    created_at: '2026-11-26T07:00:00.000Z',
    config: { shardSize: 1000, filters: { nmsIou: 0.5 } },
    models: [{ name: 'florence2', version: 'round-0', family: 'florence2' }],
    ...summarizeFiles(files),
    files,
  };
}

test('a manifest round-trips with counts per kind, shards and checksums', async () => {
  const s = new MemoryStorage();
  const m = await roundOf(s);
  assert.deepEqual(m.counts, { text: 12, region_text: 35, text_phrase_region: 0, errors: 2 });
  assert.deepEqual(m.shards, [0, 2]);
  const key = await writeManifest(s, m);
  assert.equal(key, 'demo/round-1/_manifest.json');
  assert.deepEqual(await readManifest(s, 'demo', 1), { schema_version: SCHEMA_VERSION, ...m });
});

test('a manifest of an unknown schema_version is refused by name; a bad field is named', async () => {
  const s = new MemoryStorage();
  const m = await roundOf(s);
  await s.put(layout.manifest('demo', 1), JSON.stringify({ ...m, schema_version: 7 }));
  await assert.rejects(
    readManifest(s, 'demo', 1),
    (e: unknown) => e instanceof SchemaVersionError && /_manifest\.json/.test(e.message) && /7/.test(e.message),
  );
  await assert.rejects(
    writeManifest(s, { ...m, files: [{ ...m.files[0], sha256: 'abc' }] }),
    (e: unknown) => e instanceof ValidationError && /files\[0\]\.sha256/.test(e.message),
  );
  await s.put(layout.manifest('demo', 1), '{"schema_version": 1,');
  await assert.rejects(readManifest(s, 'demo', 1), /manifest mem:\/\/test\/demo\/round-1\/_manifest\.json: not JSON/);
});

test('a done marker is written at its layout key and read back; absent means not done', async () => {
  const s = new MemoryStorage();
  assert.equal(await readDoneMarker(s, 'demo', 0, 'annotate:detector', 3), null);
  const marker = {
    stage: 'annotate:detector',
    shard: 3,
    counts: { region_text: 120 },
    stats: { nms: { total: 200, kept: 120, dropped: { overlap: 70, low_score: 10 }, ms: 12.5 } },
    finished_at: '2026-11-26T07:10:00.000Z',
    ms: 950,
  };
  const key = await writeDoneMarker(s, 'demo', 0, marker);
  assert.equal(key, 'demo/round-0/_done/annotate_detector/shard-00003.json');
  assert.deepEqual(await readDoneMarker(s, 'demo', 0, 'annotate:detector', 3), {
    schema_version: SCHEMA_VERSION,
    ...marker,
  });
  await assert.rejects(
    writeDoneMarker(s, 'demo', 0, { ...marker, counts: { region_text: -1 } }),
    (e: unknown) => e instanceof ValidationError && /counts\.region_text/.test(e.message),
  );
  await s.put(key, JSON.stringify({ ...marker, schema_version: 2 }));
  await assert.rejects(readDoneMarker(s, 'demo', 0, 'annotate:detector', 3), SchemaVersionError);
});
