// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir, writeImage, writeText } from '../sources/fixtures.ts';

const fld = join(import.meta.dirname, '..', '..', '..', 'bin', 'fld.js');
let t: ReturnType<typeof tempDir>;
before(async () => {
  t = tempDir();
  await writeImage(join(t.dir, 'a.jpg'));
  await writeImage(join(t.dir, 'b.jpg'));
  writeText(join(t.dir, 'm.jsonl'), ['{"uri":"a.jpg"}', 'oops', '{"uri":"b.jpg"}', '{"uri":"../x.jpg"}'].join('\n'));
  writeText(join(t.dir, 'good.jsonl'), '{"uri":"a.jpg"}\n');
});
after(() => t.done());

test('fld source-check --json prints the plan summary and exits 1 when there were problems', () => {
  const r = spawnSync(process.execPath, [fld, 'source-check', join(t.dir, 'm.jsonl'), '--json', '--shard-size', '1'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 1, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.type, 'jsonl');
  assert.equal(s.images, 2);
  assert.equal(s.shards, 2);
  assert.deepEqual(s.byReason, { malformed: 1, outside_root: 1 });
  assert.match(s.examples[0].message, /m\.jsonl, line 2: not valid JSON/);
});

test('a clean source exits 0; a bad source exits 2 naming it', () => {
  const ok = spawnSync(process.execPath, [fld, 'source-check', join(t.dir, 'good.jsonl')], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /images: 1 in 1 shards/);
  const bad = spawnSync(process.execPath, [fld, 'source-check', join(t.dir, 'nope.csv')], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /nope\.csv: no such file or folder/);
});
