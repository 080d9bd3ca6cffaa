// @part integration
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeShard } from '../../pipeline/shards/encode.ts';
import { summarizeFiles } from '../../pipeline/shards/round-files.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import { regionTextRecords, textRecords } from '../helpers/sample-records.ts';

// Runs the real CLI (`node bin/fld.js`) against shards and a round folder written to a temp dir.
const root = mkdtempSync(join(tmpdir(), 'fld-inspect-'));
const round = join(root, 'demo', 'round-0');
const regionShard = join(round, 'region_text', 'shard-00000.parquet');
const regions = regionTextRecords(25);
const fldBin = fileURLToPath(new URL('../../bin/fld.js', import.meta.url));

function fld(...args: string[]) {
  const r = spawnSync(process.execPath, [fldBin, 'inspect', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(() => {
  mkdirSync(join(round, 'region_text'), { recursive: true });
  mkdirSync(join(round, 'text'), { recursive: true });
  mkdirSync(join(round, '_done', 'merge'), { recursive: true });
  mkdirSync(join(round, 'raw', 'detector'), { recursive: true });
  writeFileSync(
    join(round, 'raw', 'detector', 'shard-00000.parquet'),
    encodeShard('region_text', regionTextRecords(11, 5)),
  );
  writeFileSync(regionShard, encodeShard('region_text', regions, { collection: 'demo' }));
  writeFileSync(join(round, 'region_text', 'shard-00001.parquet'), encodeShard('region_text', regionTextRecords(5, 7)));
  writeFileSync(join(round, 'text', 'shard-00000.parquet'), encodeShard('text', textRecords(9)));
  writeFileSync(join(round, '_done', 'merge', 'shard-00000.json'), '{}');
  const files = [
    {
      key: 'demo/round-0/region_text/shard-00000.parquet',
      kind: 'region_text' as const,
      shard: 0,
      rows: 25,
      bytes: 1,
      sha256: 'a'.repeat(64),
    },
    {
      key: 'demo/round-0/region_text/shard-00001.parquet',
      kind: 'region_text' as const,
      shard: 1,
      rows: 5,
      bytes: 1,
      sha256: 'b'.repeat(64),
    },
    {
      key: 'demo/round-0/text/shard-00000.parquet',
      kind: 'text' as const,
      shard: 0,
      rows: 9,
      bytes: 1,
      sha256: 'c'.repeat(64),
    },
  ];
  const manifest = {
    schema_version: SCHEMA_VERSION,
    collection: 'demo',
    round: 0,
    created_at: '2026-11-26T07:00:00Z',
    config: { shardSize: 1000 },
    models: [{ name: 'detector', version: 'yolo-demo-1' }],
    ...summarizeFiles(files),
    files,
  };
  writeFileSync(join(round, '_manifest.json'), JSON.stringify(manifest));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('a shard: kind, schema, schema_version, row count and the first rows', () => {
  const r = fld(regionShard, '--rows', '2');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /kind\s+region_text/);
  assert.match(r.out, new RegExp(`schema_version\\s+${SCHEMA_VERSION}`));
  assert.match(r.out, /rows\s+25 /);
  assert.match(r.out, /box\s+list<double>/);
  assert.match(r.out, /quad\s+list<double>\?/);
  assert.match(r.out, /first 2 rows/);
  assert.ok(r.out.includes(JSON.stringify(regions[1])));
  assert.ok(!r.out.includes(JSON.stringify(regions[2])));
});

test('a shard as --json: the first N rows are the rows written', () => {
  const r = fld(regionShard, '--json', '--rows', '3');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.kind, 'region_text');
  assert.equal(j.rows, 25);
  assert.equal(j.meta.collection, 'demo');
  assert.deepEqual(j.first_rows, regions.slice(0, 3));
  assert.deepEqual(
    j.columns.find((c: { name: string }) => c.name === 'noun_chunks'),
    { name: 'noun_chunks', type: 'list<string>' },
  );
});

test('a round folder: the manifest and shards and rows per kind, counted from the shards', () => {
  const j = JSON.parse(fld(round, '--json').out);
  assert.equal(j.manifest.collection, 'demo');
  assert.deepEqual(j.kinds.region_text, { shards: 2, rows: 30, manifest_rows: 30 });
  assert.deepEqual(j.kinds.text, { shards: 1, rows: 9, manifest_rows: 9 });
  assert.deepEqual(j.kinds.errors, { shards: 0, rows: 0, manifest_rows: 0 });
  assert.deepEqual(j.raw, { detector: { shards: 1, rows: 11 } });
  assert.deepEqual(j.done, { merge: 1 });
  const t = fld(round);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /region_text\s+2\s+30\s+30/);
  assert.match(t.out, /detector@yolo-demo-1/);
  assert.match(t.out, /raw\/detector\s+1\s+11/);
});

function assertOneLine(r: ReturnType<typeof fld>, pattern: RegExp) {
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  const lines = r.err.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.err, /\n\s+at /);
}

test('bad input is one line on stderr and exit code 2', () => {
  const truncated = join(root, 'truncated.parquet');
  writeFileSync(truncated, readFileSync(regionShard).subarray(0, 500));
  assertOneLine(fld(truncated), /truncated\.parquet: truncated or corrupt Parquet file/);
  const notParquet = join(root, 'notes.txt');
  writeFileSync(notParquet, 'hello, this is not parquet\n');
  assertOneLine(fld(notParquet), /notes\.txt: not a Parquet file/);
  assertOneLine(fld(join(root, 'missing.parquet')), /no such file or folder: .*missing\.parquet/);
  const future = join(root, 'demo', 'round-9');
  mkdirSync(future, { recursive: true });
  writeFileSync(join(future, '_manifest.json'), JSON.stringify({ schema_version: 99 }));
  assertOneLine(fld(future), /round-9\/_manifest\.json: schema_version 99 is not supported/);
  assertOneLine(fld(regionShard, '--rows', '-1'), /--rows/);
});

test('bad input inside a round folder is one line on stderr and exit code 2 too', () => {
  const empty = join(root, 'empty.parquet');
  writeFileSync(empty, '');
  assertOneLine(fld(empty), /empty\.parquet: not a Parquet file/);
  // a manifest cut short by a crash, and one that is JSON but not a manifest
  const cut = join(root, 'demo', 'round-7');
  mkdirSync(cut, { recursive: true });
  writeFileSync(join(cut, '_manifest.json'), '{"schema_version": 1, "collection": "de');
  assertOneLine(fld(cut), /round-7\/_manifest\.json: not JSON/);
  writeFileSync(join(cut, '_manifest.json'), '[1, 2]');
  assertOneLine(fld(cut), /round-7\/_manifest\.json: not a JSON object/);
  writeFileSync(join(cut, '_manifest.json'), JSON.stringify({ schema_version: SCHEMA_VERSION, collection: 'demo' }));
  assertOneLine(fld(cut, '--json'), /round-7\/_manifest\.json: field "round"/);
  // a shard of the round that is not Parquet is named, not skipped
  const broken = join(root, 'demo', 'round-8');
  mkdirSync(join(broken, 'text'), { recursive: true });
  writeFileSync(join(broken, 'text', 'shard-00003.parquet'), 'not parquet at all');
  assertOneLine(fld(broken), /round-8\/text\/shard-00003\.parquet: not a Parquet file/);
});
