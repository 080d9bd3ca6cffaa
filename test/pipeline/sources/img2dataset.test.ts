// @part unit
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Img2datasetSource } from '../../../pipeline/sources/img2dataset.ts';
import { SourceError } from '../../../pipeline/sources/types.ts';
import { collect, tempDir, writeImage, writeParquet, writeText } from './fixtures.ts';

let t: ReturnType<typeof tempDir>;
before(async () => {
  t = tempDir();
  // Two shards in img2dataset's `files` layout: NNNNN.parquet beside NNNNN/<key>.jpg (+ .txt, .json).
  await writeImage(join(t.dir, '00000', '000000000.jpg'), 16, 12);
  writeText(join(t.dir, '00000', '000000000.txt'), 'a red square');
  await writeImage(join(t.dir, '00000', '000000002.jpg'), 16, 12);
  await writeImage(join(t.dir, '00001', '000010000.png'), 20, 10);
  writeText(join(t.dir, '00000_stats.json'), '{}');
  await writeParquet(
    join(t.dir, '00000.parquet'),
    `SELECT * FROM (VALUES
      ('http://example.com/0.jpg', 'a red square', '000000000', 'success', NULL, 16, 12),
      ('http://example.com/1.jpg', 'lost', '000000001', 'failed_to_download', 'HTTP Error 404: Not Found', NULL, NULL),
      ('http://example.com/2.jpg', '', '000000002', 'success', NULL, 16, 12),
      ('http://example.com/3.jpg', 'gone', '000000003', 'success', NULL, 16, 12)
    ) t(url, caption, key, status, error_message, width, height)`,
  );
  await writeParquet(
    join(t.dir, '00001.parquet'),
    `SELECT 'http://example.com/9.png' AS url, 'png one' AS caption, '000010000' AS key, 'success' AS status, NULL::VARCHAR AS error_message, 20 AS width, 10 AS height`,
  );
});
after(() => t.done());

test('uses the downloaded files, captions as alt-text, shard by shard', async () => {
  const { items } = await collect(new Img2datasetSource(t.dir));
  assert.deepEqual(
    items.map((i) => [i.uri, i.alt_text, i.width, i.height]),
    [
      [join(t.dir, '00000', '000000000.jpg'), 'a red square', 16, 12],
      [join(t.dir, '00000', '000000002.jpg'), undefined, 16, 12],
      [join(t.dir, '00001', '000010000.png'), 'png one', 20, 10],
    ],
  );
  assert.equal(items[0]!.where, '00000.parquet row 1 (key 000000000)');
});

test("rows whose status is not success are problems with img2dataset's reason; a missing file too", async () => {
  const { problems } = await collect(new Img2datasetSource(t.dir));
  assert.deepEqual(
    problems.map((p) => [p.reason, p.where]),
    [
      ['download_failed', '00000.parquet row 2 (key 000000001)'],
      ['missing_file', '00000.parquet row 4 (key 000000003)'],
    ],
  );
  assert.match(
    problems[0]!.message,
    /^img2dataset output .*, 00000\.parquet row 2 \(key 000000001\): status "failed_to_download": HTTP Error 404: Not Found$/,
  );
  assert.equal(problems[0]!.uri, 'http://example.com/1.jpg');
});

test('one shard Parquet alone reads only that shard', async () => {
  const { items } = await collect(new Img2datasetSource(join(t.dir, '00001.parquet')));
  assert.deepEqual(
    items.map((i) => i.alt_text),
    ['png one'],
  );
});

test('a folder with no shard Parquet is a whole-source error', async () => {
  await assert.rejects(
    collect(new Img2datasetSource(join(t.dir, '00000'))),
    (e: Error) => e instanceof SourceError && /no NNNNN\.parquet shard files/.test(e.message),
  );
});
