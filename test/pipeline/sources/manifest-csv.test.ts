// @part unit
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CsvManifestSource } from '../../../pipeline/sources/manifest-csv.ts';
import { SourceError } from '../../../pipeline/sources/types.ts';
import { collect, tempDir, writeImage, writeText } from './fixtures.ts';

let t: ReturnType<typeof tempDir>;
before(async () => {
  t = tempDir();
  await writeImage(join(t.dir, 'a.jpg'));
  await writeImage(join(t.dir, 'b.png'));
  await writeImage(join(t.dir, 'c d.webp'));
});
after(() => t.done());

test('quoted fields, embedded commas, quotes and newlines, JSON boxes; a bad record names its line', async () => {
  const csv = [
    'uri,caption,boxes',
    'a.jpg,"a dog, a cat","[{""box"":[0,0,4,3],""category"":""dog""}]"',
    'b.png,"two',
    'lines ""quoted""",',
    'b.png,too,many,fields',
    '"c d.webp",,',
    'missing.jpg,x,',
    '../a.jpg,x,',
    'a.jpg,x,{not json',
  ].join('\n');
  writeText(join(t.dir, 'm.csv'), csv);
  const { items, problems } = await collect(new CsvManifestSource(join(t.dir, 'm.csv')));
  assert.deepEqual(
    items.map((i) => [i.uri, i.alt_text, i.line]),
    [
      [join(t.dir, 'a.jpg'), 'a dog, a cat', 2],
      [join(t.dir, 'b.png'), 'two\nlines "quoted"', 4],
      [join(t.dir, 'c d.webp'), undefined, 6],
    ],
  );
  assert.deepEqual(items[0]!.existing_boxes, [{ box: [0, 0, 4, 3], category: 'dog' }]);
  assert.deepEqual(items[2]!.existing_boxes, undefined);
  assert.deepEqual(
    problems.map((p) => [p.reason, p.line]),
    [
      ['malformed', 5],
      ['missing_file', 7],
      ['outside_root', 8],
      ['malformed', 9],
    ],
  );
  assert.match(problems[0]!.message, /^csv manifest .*m\.csv, line 5: .*columns length is 3, got 4/);
  assert.match(problems[3]!.message, /line 9: "boxes" is not valid JSON/);
});

test('problems come in line order among the items', async () => {
  writeText(
    join(t.dir, 'order.csv'),
    ['uri,alt_text', 'a.jpg,1', 'b.png,2', 'a.jpg,3,extra', 'b.png,4', 'nope.jpg,5', 'a.jpg,6'].join('\n'),
  );
  const lines: (number | undefined)[] = [];
  for await (const e of new CsvManifestSource(join(t.dir, 'order.csv')).entries()) lines.push(e.line);
  assert.deepEqual(lines, [2, 3, 4, 5, 6, 7]);
});

test('a header without a uri column fails the whole source, naming the column', async () => {
  writeText(join(t.dir, 'nouri.csv'), 'url,caption\na.jpg,x\n');
  await assert.rejects(collect(new CsvManifestSource(join(t.dir, 'nouri.csv'))), (e: Error) => {
    assert.ok(e instanceof SourceError);
    assert.match(
      e.message,
      /^csv manifest .*nouri\.csv: the header has no "uri" column \(columns: "url", "caption"\)$/,
    );
    return true;
  });
});

test('a .tsv file is tab-separated; a BOM does not hide the uri column', async () => {
  writeText(join(t.dir, 'm.tsv'), '\ufeffuri\talt_text\na.jpg\thello, world\n');
  const { items } = await collect(new CsvManifestSource(join(t.dir, 'm.tsv')));
  assert.deepEqual(
    items.map((i) => [i.uri, i.alt_text]),
    [[join(t.dir, 'a.jpg'), 'hello, world']],
  );
});
