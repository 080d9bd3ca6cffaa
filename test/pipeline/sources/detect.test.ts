// @part unit
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { detectSource, detectType } from '../../../pipeline/sources/detect.ts';
import { normaliseUri } from '../../../pipeline/sources/ids.ts';
import { SourceError } from '../../../pipeline/sources/types.ts';
import { collect, tempDir, writeImage, writeParquet, writeText } from './fixtures.ts';
import { MemoryStorage } from '../../helpers/memory-storage.ts';

let t: ReturnType<typeof tempDir>;
before(async () => {
  t = tempDir();
  await writeImage(join(t.dir, 'folder', 'a.jpg'));
  writeText(join(t.dir, 'm.jsonl'), '{"uri":"folder/a.jpg"}\n');
  writeText(join(t.dir, 'm.ndjson'), '{"uri":"folder/a.jpg"}\n');
  writeText(join(t.dir, 'm.csv'), 'uri\nfolder/a.jpg\n');
  writeText(join(t.dir, 'm.tsv'), 'uri\nfolder/a.jpg\n');
  await writeParquet(join(t.dir, 'm.parquet'), `SELECT 'folder/a.jpg' AS uri`);
  writeText(
    join(t.dir, 'coco.json'),
    JSON.stringify({
      info: { year: 2017 },
      images: [{ id: 1, file_name: 'folder/a.jpg' }],
      annotations: [],
      categories: [],
    }),
  );
  writeText(join(t.dir, 'other.json'), '{"uri": "folder/a.jpg"}');
  writeText(join(t.dir, 'list.txt'), 'folder/a.jpg\n');
  mkdirSync(join(t.dir, 'i2d', '00000'), { recursive: true });
  await writeParquet(
    join(t.dir, 'i2d', '00000.parquet'),
    `SELECT 'http://x/a.jpg' AS url, '000000000' AS key, 'success' AS status`,
  );
});
after(() => t.done());

test('the type comes from the argument', () => {
  const cases: [string, string][] = [
    ['folder', 'folder'],
    ['m.jsonl', 'jsonl'],
    ['m.ndjson', 'jsonl'],
    ['m.csv', 'csv'],
    ['m.tsv', 'csv'],
    ['m.parquet', 'parquet'],
    ['coco.json', 'coco'],
    ['i2d', 'img2dataset'],
    ['i2d/00000.parquet', 'img2dataset'],
  ];
  for (const [arg, type] of cases) assert.equal(detectType(join(t.dir, arg)), type, arg);
  assert.equal(detectType('s3://bucket/prefix/'), 's3');
});

test('each detected source lists the same image', async () => {
  for (const arg of ['folder', 'm.jsonl', 'm.csv', 'm.parquet', 'coco.json']) {
    const { items } = await collect(detectSource(join(t.dir, arg)));
    assert.deepEqual(
      items.map((i) => i.uri),
      [join(t.dir, 'folder', 'a.jpg')],
      arg,
    );
  }
  // The planner hashes item URIs as they come: every source must yield them in normal form.
  writeText(
    join(t.dir, 'remote.jsonl'),
    ['HTTPS://Example.COM:443/a%7eb.jpg', 'S3://b/k.jpg', 'http://h/x/../y.png']
      .map((uri) => JSON.stringify({ uri }))
      .join('\n'),
  );
  const { items } = await collect(detectSource(join(t.dir, 'remote.jsonl')));
  for (const i of items) assert.equal(normaliseUri(i.uri), i.uri);
  assert.equal(items.length, 3);
});

test('undetectable arguments say why and point at --format', () => {
  assert.throws(
    () => detectType(join(t.dir, 'other.json')),
    (e: Error) => e instanceof SourceError && /does not look like COCO/.test(e.message),
  );
  assert.throws(
    () => detectType(join(t.dir, 'list.txt')),
    (e: Error) => e instanceof SourceError && /extension "\.txt"; pass --format/.test(e.message),
  );
  assert.throws(
    () => detectType(join(t.dir, 'nope')),
    (e: Error) => e instanceof SourceError && /nope: no such file or folder/.test(e.message),
  );
});

test('format overrides detection', async () => {
  const src = detectSource(join(t.dir, 'list.txt'), { format: 'csv' });
  assert.equal(src.type, 'csv');
  await assert.rejects(collect(src), /no "uri" column/);
  assert.equal(detectSource(join(t.dir, 'other.json'), { format: 'jsonl' }).type, 'jsonl');
  assert.throws(() => detectSource(join(t.dir, 'm.csv'), { format: 'xml' as never }), /unknown format "xml"/);
});

test('an S3 prefix is listed through the storage it is given; without one it says so', async () => {
  const s = new MemoryStorage('s3://bucket');
  await s.put('p/a.jpg', 'x');
  await s.put('p2/b.jpg', 'x');
  const src = detectSource('s3://bucket/p/', { openStorage: (url) => (assert.equal(url, 's3://bucket'), s) });
  assert.deepEqual(
    (await collect(src)).items.map((i) => i.uri),
    ['s3://bucket/p/a.jpg'],
  );
  const noSlash = detectSource('s3://bucket/p', { openStorage: () => s });
  assert.deepEqual(
    (await collect(noSlash)).items.map((i) => i.uri),
    ['s3://bucket/p/a.jpg'],
    'a prefix names a folder',
  );
  const whole = detectSource('s3://bucket', { openStorage: () => s });
  assert.deepEqual(
    (await collect(whole)).items.map((i) => i.uri),
    ['s3://bucket/p/a.jpg', 's3://bucket/p2/b.jpg'],
  );
  assert.throws(() => detectSource('s3://bucket/p/'), /needs a storage/);
});
