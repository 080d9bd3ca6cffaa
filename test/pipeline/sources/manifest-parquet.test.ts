// @part unit
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ParquetManifestSource } from '../../../pipeline/sources/manifest-parquet.ts';
import { SourceError } from '../../../pipeline/sources/types.ts';
import { collect, tempDir, writeImage, writeParquet } from './fixtures.ts';

let t: ReturnType<typeof tempDir>;
before(async () => {
  t = tempDir();
  await writeImage(join(t.dir, 'a.jpg'));
  await writeImage(join(t.dir, 'b.png'));
});
after(() => t.done());

test('reads uri, caption and boxes as a list of structs; bad rows are problems naming the row', async () => {
  const file = join(t.dir, 'm.parquet');
  await writeParquet(
    file,
    `SELECT * FROM (VALUES
      ('a.jpg', 'first', [{'box': [1.5, 2, 6, 5], 'category': 'cat'}], 8, 6),
      ('b.png', NULL, [], NULL, NULL),
      (NULL, 'no uri', NULL, NULL, NULL),
      ('/etc/passwd', 'abs', NULL, NULL, NULL),
      ('gone.jpg', 'missing', NULL, NULL, NULL)
    ) t(uri, caption, boxes, width, height)`,
  );
  const { items, problems } = await collect(new ParquetManifestSource(file));
  assert.deepEqual(
    items.map((i) => [i.line, i.uri, i.alt_text]),
    [
      [1, join(t.dir, 'a.jpg'), 'first'],
      [2, join(t.dir, 'b.png'), undefined],
    ],
  );
  assert.deepEqual(items[0]!.existing_boxes, [{ box: [1.5, 2, 6, 5], category: 'cat' }]);
  assert.deepEqual([items[0]!.width, items[0]!.height], [8, 6]);
  assert.deepEqual(items[1]!.existing_boxes, []);
  assert.deepEqual(
    problems.map((p) => [p.line, p.reason]),
    [
      [3, 'missing_uri'],
      [4, 'outside_root'],
      [5, 'missing_file'],
    ],
  );
  assert.match(problems[0]!.message, /^parquet manifest .*m\.parquet, row 3: no "uri" value$/);
});

test('boxes as a JSON string column are parsed like CSV', async () => {
  const file = join(t.dir, 'j.parquet');
  await writeParquet(file, `SELECT 'a.jpg' AS uri, '[{"box":[0,0,2,2],"category":"dot"}]' AS boxes, 'hi' AS alt_text`);
  const { items } = await collect(new ParquetManifestSource(file));
  assert.deepEqual(items[0]!.existing_boxes, [{ box: [0, 0, 2, 2], category: 'dot' }]);
  assert.equal(items[0]!.alt_text, 'hi');
});

test('a file without a uri column fails the whole source naming the column', async () => {
  const file = join(t.dir, 'nouri.parquet');
  await writeParquet(file, `SELECT 'a.jpg' AS url`);
  await assert.rejects(
    collect(new ParquetManifestSource(file)),
    (e: Error) => e instanceof SourceError && /nouri\.parquet: no "uri" column \(columns: "url"\)/.test(e.message),
  );
});

test('a file that is not Parquet is a whole-source error', async () => {
  const file = join(t.dir, 'a.jpg');
  await assert.rejects(
    collect(new ParquetManifestSource(file)),
    (e: Error) => e instanceof SourceError && /parquet manifest .*a\.jpg: cannot read Parquet/.test(e.message),
  );
});
