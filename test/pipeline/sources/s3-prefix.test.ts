// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageIdFromBytes } from '../../../pipeline/sources/ids.ts';
import { planShards } from '../../../pipeline/sources/plan.ts';
import { parseS3Url, S3PrefixSource } from '../../../pipeline/sources/s3-prefix.ts';
import { SourceError } from '../../../pipeline/sources/types.ts';
import { collect } from './fixtures.ts';
import { MemoryStorage } from '../../helpers/memory-storage.ts';

// Most cases run the source over the Storage interface (counting pages); the last one on s3rver.
test('lists image keys under a prefix, page by page, as s3:// URIs', async () => {
  const s = new MemoryStorage('s3://bucket', 2);
  for (const k of [
    'photos/b.jpg',
    'photos/a.PNG',
    'photos/sub/c.webp',
    'photos/readme.md',
    'other/d.jpg',
    'photos2/e.jpg',
  ])
    await s.put(k, 'x');
  const { items, problems } = await collect(new S3PrefixSource(s, 'photos/'));
  assert.deepEqual(
    items.map((i) => i.uri),
    ['s3://bucket/photos/a.PNG', 's3://bucket/photos/b.jpg', 's3://bucket/photos/sub/c.webp'],
  );
  assert.equal(problems.length, 0);
  assert.equal(s.pages, 2, 'four keys under the prefix in pages of two');
});

test('a failing listing is a whole-source error naming the prefix and how far it got', async () => {
  const s = new MemoryStorage('s3://bucket');
  s.list = async function* () {
    yield 'p/a.jpg';
    throw new Error('connect ECONNREFUSED 127.0.0.1:1');
  };
  await assert.rejects(
    collect(new S3PrefixSource(s, 'p/')),
    (e: Error) =>
      e instanceof SourceError &&
      e.message === 's3 prefix s3://bucket/p/: listing failed after 1 keys: connect ECONNREFUSED 127.0.0.1:1',
  );
});

test('parseS3Url splits bucket and prefix', () => {
  assert.deepEqual(parseS3Url('s3://b/x/y/'), { bucket: 'b', prefix: 'x/y/' });
  assert.deepEqual(parseS3Url('s3://b'), { bucket: 'b', prefix: '' });
  assert.throws(() => parseS3Url('http://b/x'), SourceError);
});

test('the planner reads S3 images through the source: ids from bytes, sizes from headers', async () => {
  const sharp = (await import('sharp')).default;
  const png = await sharp({ create: { width: 12, height: 7, channels: 3, background: '#08f' } })
    .png()
    .toBuffer();
  const s = new MemoryStorage('s3://bucket');
  await s.put('p/a.png', png);
  await s.put('p/b.png', png);
  await s.put('p/c.jpg', 'not an image');
  const plan = planShards(new S3PrefixSource(s, 'p/'), { collection: 'c', idFrom: 'bytes', readSize: true });
  const records = [];
  for await (const sh of plan) records.push(...sh.records);
  assert.deepEqual(
    records.map((r) => [r.uri, r.width, r.height, r.image_id]),
    [['s3://bucket/p/a.png', 12, 7, imageIdFromBytes(png)]],
  );
  assert.deepEqual(plan.summary.byReason, { duplicate: 1, unreadable_image: 1 });
  assert.match(
    plan.summary.examples.find((p) => p.reason === 'unreadable_image')!.message,
    /cannot read s3:\/\/bucket\/p\/c\.jpg/,
  );
});

test('an S3 prefix on a real S3 API (s3rver): listed through detectSource and openStorage, images read for sizes', async () => {
  const { startS3rver } = await import('../../helpers/s3rver.ts');
  const { openStorage } = await import('../../../pipeline/storage/open-storage.ts');
  const { detectSource } = await import('../../../pipeline/sources/detect.ts');
  const sharp = (await import('sharp')).default;
  const s3 = await startS3rver();
  try {
    for (const [key, w] of [
      ['imgs/a.png', 5],
      ['imgs/deep/b.png', 9],
      ['other/c.png', 3],
    ] as const) {
      await s3.storage.put(
        key,
        await sharp({ create: { width: w, height: 4, channels: 3, background: '#123' } })
          .png()
          .toBuffer(),
      );
    }
    const source = detectSource(`s3://${s3.bucket}/imgs`, { openStorage: (url) => openStorage(url, s3.options) });
    const plan = planShards(source, { collection: 'c', readSize: true });
    const records = [];
    for await (const sh of plan) records.push(...sh.records);
    assert.deepEqual(
      records.map((r) => [r.uri, r.width, r.height]),
      [
        [`s3://${s3.bucket}/imgs/a.png`, 5, 4],
        [`s3://${s3.bucket}/imgs/deep/b.png`, 9, 4],
      ],
    );
    assert.deepEqual(plan.summary.byReason, {});
  } finally {
    await s3.close();
  }
});
