// @part integration
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoundStats } from '../../pipeline/stats/round-stats.ts';
import { writeFixture } from './fixture-rounds.ts';
import { writeRoundShard } from './fixture-writer.ts';
import { fld } from './run-fld.ts';

/**
 * `fld stats` splits a round's error rows by stage (rows, images, one example), as a user would run
 * it: round 1 of the stats fixture, first without error rows, then with an errors shard written.
 */
let root: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'fld-stats-errors-'));
  await writeFixture(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

async function stats(): Promise<{ json: RoundStats; text: string }> {
  const j = await fld(['stats', '--root', root, '--round', '1', '--json']);
  assert.equal(j.code, 0, j.stderr);
  const t = await fld(['stats', '--root', root, '--round', '1']);
  assert.equal(t.code, 0, t.stderr);
  return { json: JSON.parse(j.stdout) as RoundStats, text: t.stdout };
}

test('error rows per stage: none, then rows, images and the first message of each stage, largest first', async () => {
  const none = await stats();
  assert.equal(none.json.overview.errors, 0);
  assert.deepEqual(none.json.error_stages, []);
  assert.doesNotMatch(none.text, /Error rows per stage/);

  const long = `image img2 (photos/b.png): the record declares 512x512 but the image decodes to 256x256 after EXIF orientation; ${'x'.repeat(80)}`;
  await writeRoundShard(root, 'fx', 1, 'errors', 0, [
    { image_id: 'img2', shard: 0, stage: 'annotate:detector:size', message: long },
    { image_id: 'img3', shard: 0, stage: 'merge', message: 'image img3: boom' },
    { image_id: 'img1', shard: 0, stage: 'annotate:detector:size', message: 'image img1 (photos/a.png): declares 9x9' },
    { image_id: 'img1', shard: 0, stage: 'annotate:detector:size', message: 'image img1 (photos/a.png): declares 9x9' },
    { image_id: 'img3', shard: 0, stage: 'annotate:ocr:decode', message: 'image img3: not a readable image' },
  ]);
  const some = await stats();
  assert.equal(some.json.overview.errors, 5);
  assert.deepEqual(some.json.error_stages, [
    // 3 rows of 2 images; the example is the message that sorts first (img1's)
    { stage: 'annotate:detector:size', rows: 3, images: 2, example: 'image img1 (photos/a.png): declares 9x9' },
    // one row each: by stage name
    { stage: 'annotate:ocr:decode', rows: 1, images: 1, example: 'image img3: not a readable image' },
    { stage: 'merge', rows: 1, images: 1, example: 'image img3: boom' },
  ]);
  assert.match(some.text, /Error rows per stage/);
  assert.match(some.text, /annotate:detector:size\s+3\s+2\s+image img1 \(photos\/a\.png\): declares 9x9/);
  assert.match(some.text, /left out of the round's export/);

  // a message longer than the table's column is cut there, and whole in --json
  await writeRoundShard(root, 'fx', 1, 'errors', 0, [
    { image_id: 'img2', shard: 0, stage: 'annotate:detector:size', message: long },
  ]);
  const cut = await stats();
  assert.equal(cut.json.error_stages[0].example, long);
  assert.ok(cut.text.includes(`${long.slice(0, 119)}…`), cut.text);
  assert.ok(!cut.text.includes(long));
});
