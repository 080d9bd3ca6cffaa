// @part unit
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageRecord } from '../../../schemas/records.ts';
import { validate } from '../../../schemas/validate.ts';
import { imageIdFromUri } from '../../../pipeline/sources/ids.ts';
import { JsonlManifestSource } from '../../../pipeline/sources/manifest-jsonl.ts';
import { planShards, type PlannedShard } from '../../../pipeline/sources/plan.ts';
import type { SourceProblem } from '../../../pipeline/sources/types.ts';
import { tempDir, writeImage, writeText } from './fixtures.ts';

let t: ReturnType<typeof tempDir>;
before(async () => {
  t = tempDir();
  for (let i = 0; i < 25; i++) await writeImage(join(t.dir, 'img', `${String(i).padStart(3, '0')}.png`), 10 + i, 5 + i);
  writeText(join(t.dir, 'img', 'corrupt.jpg'), 'not a jpeg at all');
  copyFileSync(join(t.dir, 'img', '003.png'), join(t.dir, 'img', 'copy-of-003.png'));
  const lines = Array.from({ length: 25 }, (_, i) =>
    JSON.stringify({ uri: `img/${String(i).padStart(3, '0')}.png`, alt_text: `image ${i}` }),
  );
  lines.splice(7, 0, '{bad json');
  lines.splice(12, 0, JSON.stringify({ uri: 'img/000.png' }));
  lines.push(JSON.stringify({ uri: 'img/missing.png' }));
  writeText(join(t.dir, 'm.jsonl'), lines.join('\n'));
  writeText(
    join(t.dir, 'extra.jsonl'),
    [
      JSON.stringify({ uri: 'img/corrupt.jpg' }),
      JSON.stringify({ uri: 'img/003.png' }),
      JSON.stringify({ uri: 'img/copy-of-003.png' }),
      JSON.stringify({ uri: 'img/004.png', width: 999, height: 888 }),
    ].join('\n'),
  );
});
after(() => t.done());

async function shardsOf(plan: AsyncIterable<PlannedShard>): Promise<PlannedShard[]> {
  const out: PlannedShard[] = [];
  for await (const s of plan) out.push(s);
  return out;
}

test('items become image records in shards of the configured size, in source order', async () => {
  const seen: SourceProblem[] = [];
  const plan = planShards(new JsonlManifestSource(join(t.dir, 'm.jsonl')), {
    collection: 'demo',
    shardSize: 10,
    onProblem: (p) => seen.push(p),
  });
  const shards = await shardsOf(plan);
  assert.deepEqual(
    shards.map((s) => [s.shard, s.records.length]),
    [
      [0, 10],
      [1, 10],
      [2, 5],
    ],
  );
  const all = shards.flatMap((s) => s.records);
  assert.deepEqual(
    all.map((r) => r.alt_text),
    Array.from({ length: 25 }, (_, i) => `image ${i}`),
  );
  for (const s of shards)
    for (const r of s.records) {
      validate(ImageRecord, r, `image record ${r.image_id}`);
      assert.equal(r.shard, s.shard);
      assert.equal(r.collection, 'demo');
      assert.equal(r.image_id, imageIdFromUri(r.uri));
      assert.equal(r.width, null, 'headers are not read unless asked');
    }
  assert.deepEqual(plan.summary.byReason, { malformed: 1, duplicate: 1, missing_file: 1 });
  assert.equal(plan.summary.images, 25);
  assert.equal(plan.summary.shards, 3);
  assert.equal(plan.summary.problems, 3);
  assert.deepEqual(plan.summary.examples, seen);
  const dup = seen.find((p) => p.reason === 'duplicate')!;
  assert.match(
    dup.message,
    /^jsonl manifest .*m\.jsonl, line 13: image id [0-9a-f]{16} \(uri .*000\.png\) was already planned as image #1/,
  );
});

test('the plan is the same every time', async () => {
  const run = async () =>
    (
      await shardsOf(planShards(new JsonlManifestSource(join(t.dir, 'm.jsonl')), { collection: 'demo', shardSize: 7 }))
    ).map((s) => s.records.map((r) => r.image_id));
  assert.deepEqual(await run(), await run());
});

test('readSize fills width and height from the header; an unreadable image is a problem; a wrong size the source gives is replaced by the measured one, and said', async () => {
  const corrected: string[] = [];
  const plan = planShards(new JsonlManifestSource(join(t.dir, 'extra.jsonl')), {
    collection: 'c',
    readSize: true,
    concurrency: 2,
    onSizeCorrected: (where, given, m) =>
      corrected.push(`${where}: ${given.width}x${given.height} -> ${m.width}x${m.height}`),
  });
  const records = (await shardsOf(plan)).flatMap((s) => s.records);
  assert.deepEqual(
    records.map((r) => [r.uri.split('/').pop(), r.width, r.height]),
    [
      ['003.png', 13, 8],
      ['copy-of-003.png', 13, 8],
      ['004.png', 14, 9],
    ],
  );
  assert.deepEqual(corrected, ['line 4: 999x888 -> 14x9']);
  // without readSize the source's size stands (nothing is read)
  const trusted = (
    await shardsOf(planShards(new JsonlManifestSource(join(t.dir, 'extra.jsonl')), { collection: 'c' }))
  ).flatMap((s) => s.records);
  assert.deepEqual(
    trusted.filter((r) => r.uri.endsWith('004.png')).map((r) => [r.width, r.height]),
    [[999, 888]],
  );
  assert.deepEqual(plan.summary.byReason, { unreadable_image: 1 });
  assert.match(plan.summary.examples[0]!.message, /line 1: cannot read .*corrupt\.jpg: /);
});

test('idFrom bytes: the same bytes under two names is one image', async () => {
  const plan = planShards(new JsonlManifestSource(join(t.dir, 'extra.jsonl')), { collection: 'c', idFrom: 'bytes' });
  const records = (await shardsOf(plan)).flatMap((s) => s.records);
  assert.deepEqual(
    records.map((r) => r.uri.split('/').pop()),
    ['corrupt.jpg', '003.png', '004.png'],
  );
  assert.deepEqual(plan.summary.byReason, { duplicate: 1 });
  assert.match(plan.summary.examples[0]!.message, /line 3: .*copy-of-003\.png.* \(the same bytes\)/);
});

test('keepProblems caps the examples, not the counts', async () => {
  const plan = planShards(new JsonlManifestSource(join(t.dir, 'm.jsonl')), { collection: 'demo', keepProblems: 1 });
  await shardsOf(plan);
  assert.equal(plan.summary.examples.length, 1);
  assert.equal(plan.summary.problems, 3);
});

test('a plan is one pass: iterating it again is refused', async () => {
  const plan = planShards(new JsonlManifestSource(join(t.dir, 'm.jsonl')), { collection: 'demo' });
  await shardsOf(plan);
  await assert.rejects(shardsOf(plan), /already iterated; make a new plan/);
});

test('bad options are refused up front', () => {
  const src = new JsonlManifestSource(join(t.dir, 'm.jsonl'));
  assert.throws(() => planShards(src, { collection: '' }), /collection must be a non-empty name/);
  assert.throws(
    () => planShards(src, { collection: 'c', shardSize: 0 }),
    /shardSize must be a positive integer, got 0/,
  );
});

test('readSize records the size after EXIF orientation, the frame every box is drawn in', async () => {
  const sharp = (await import('sharp')).default;
  // a 30x10 JPEG stored landscape with EXIF orientation 6 (rotate 90): viewers and our loader show 10x30
  const jpeg = await sharp({ create: { width: 30, height: 10, channels: 3, background: '#808080' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(t.dir, 'img', 'rotated.jpg'), jpeg);
  writeText(join(t.dir, 'rotated.jsonl'), JSON.stringify({ uri: 'img/rotated.jpg' }));
  const records = (
    await shardsOf(
      planShards(new JsonlManifestSource(join(t.dir, 'rotated.jsonl')), { collection: 'c', readSize: true }),
    )
  ).flatMap((s) => s.records);
  assert.deepEqual(
    records.map((r) => [r.width, r.height]),
    [[10, 30]],
  );
});
