// @part integration
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDoneMarker, writeManifest, writeRoundShard } from './fixture-writer.ts';
import { fld } from './run-fld.ts';

/** Bad input to `fld stats`: one clear message on stderr, exit code 2, nothing on stdout. */
const roots: string[] = [];
const fresh = () => {
  const r = mkdtempSync(join(tmpdir(), 'fld-stats-bad-'));
  roots.push(r);
  return r;
};
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

const text = {
  image_id: 'img1',
  round: 0,
  text_id: 't1',
  granularity: 'brief' as const,
  text: 'a red circle',
  source: 'captioner@1',
  score: null,
  sources: ['captioner@1'],
  objects: 1,
  attributes: 1,
  actions: 0,
  proper_nouns: 0,
  object_complexity: 2,
  action_complexity: 0,
};

async function refused(args: string[], message: RegExp): Promise<void> {
  const r = await fld(['stats', ...args]);
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
}

test('a missing round names the collection and the rounds there are', async () => {
  const root = fresh();
  await writeRoundShard(root, 'fx', 0, 'text', 0, [text]);
  await writeRoundShard(root, 'fx', 1, 'text', 0, [{ ...text, round: 1 }]);
  await refused(
    ['--root', root, '--collection', 'fx', '--round', '7'],
    /collection "fx" under .* has no round 7 \(rounds found: 0, 1\)/,
  );
  await refused(['--root', root, '--round', '7'], /no collection under .* has a round 7/);
  await writeRoundShard(root, 'other', 0, 'text', 0, [text]);
  await refused(
    ['--root', root, '--round', '0'],
    /several collections under .* have a round 0 \(fx, other\); pass --collection/,
  );
  await refused(['--root', join(root, 'nowhere'), '--round', '0'], /storage root .*nowhere does not exist/);
});

test('an empty round is refused: no shards, or shards without rows', async () => {
  const root = fresh();
  // a round holds objects, not folders (an S3 prefix has none): one whose annotation finished and merge did not
  writeDoneMarker(root, 'fx', 0, 'annotate:detector', 0, { shard: 0 });
  await refused(
    ['--root', root, '--round', '0'],
    /round 0 of collection "fx" under .* is empty: no annotation rows in 0 annotation shard\(s\)/,
  );
  await writeRoundShard(root, 'fx', 1, 'text', 0, []);
  await writeRoundShard(root, 'fx', 1, 'errors', 0, [{ image_id: 'img1', shard: 0, stage: 'merge', message: 'boom' }]);
  await refused(
    ['--root', root, '--round', '1'],
    /round 1 .* is empty: no annotation rows in 1 annotation shard\(s\) \(1 error rows\)/,
  );
});

test('a shard of another schema_version is refused by name', async () => {
  const root = fresh();
  await writeRoundShard(root, 'fx', 0, 'text', 0, [text]);
  await writeRoundShard(root, 'fx', 0, 'text', 1, [{ ...text, image_id: 'img2' }], { schemaVersion: '2' });
  await refused(
    ['--root', root, '--round', '0'],
    /shard fx\/round-0\/text\/shard-00001\.parquet: schema_version "2" is not supported \(this fld-engine reads schema_version 1\)/,
  );
  await writeRoundShard(root, 'fx', 1, 'text', 0, [{ ...text, round: 1 }]);
  writeManifest(root, 'fx', 1, { schema_version: 3 });
  await refused(
    ['--root', root, '--round', '1'],
    /manifest .*fx\/round-1\/_manifest\.json: schema_version 3 is not supported/,
  );
});

test('a done marker whose stats do not have the documented shape is refused naming the file and field', async () => {
  const root = fresh();
  await writeRoundShard(root, 'fx', 0, 'text', 0, [text]);
  writeDoneMarker(root, 'fx', 0, 'merge', 0, { stats: { text_rules: { total: 3, kept: -1, dropped: {} } } });
  await refused(
    ['--root', root, '--round', '0'],
    /done marker fx\/round-0\/_done\/merge\/shard-00000\.json: field "stats\.text_rules\.kept"/,
  );
});

test('a shard that lacks a column, or is not Parquet, is refused by name', async () => {
  const root = fresh();
  await writeRoundShard(root, 'fx', 0, 'text', 0, [text]);
  await writeRoundShard(root, 'fx', 0, 'region_text', 0, [], { dropColumns: ['sources', 'brief'] });
  await refused(
    ['--root', root, '--round', '0'],
    /shard fx\/round-0\/region_text\/shard-00000\.parquet lacks column\(s\) brief, sources of a region_text shard/,
  );
  writeFileSync(join(root, 'fx', 'round-0', 'region_text', 'shard-00000.parquet'), 'not parquet');
  await refused(
    ['--root', root, '--round', '0'],
    /cannot read the region_text shards as Parquet: .*shard-00000\.parquet/,
  );
});
