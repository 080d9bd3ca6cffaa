// @part unit
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { JsonlManifestSource } from '../../../pipeline/sources/manifest-jsonl.ts';
import { SourceError } from '../../../pipeline/sources/types.ts';
import { collect, tempDir, writeImage, writeText } from './fixtures.ts';

let t: ReturnType<typeof tempDir>;
let root: string;
before(async () => {
  t = tempDir();
  root = join(t.dir, 'coll');
  await writeImage(join(root, 'a.jpg'));
  await writeImage(join(root, 'sub', 'b.png'));
  await writeImage(join(t.dir, 'secret.png'));
  symlinkSync(join(t.dir, 'secret.png'), join(root, 'sneaky.png'));
  const lines = [
    JSON.stringify({ uri: 'a.jpg', alt_text: 'a red square', boxes: [{ box: [1, 1, 5, 4], category: 'square' }] }),
    JSON.stringify({
      uri: 'sub/b.png',
      caption: 'from caption',
      texts: [{ granularity: 'detailed', text: 'A red square.' }],
      width: 8,
      height: 6,
    }),
    '{"uri": "a.jpg", broken',
    '',
    JSON.stringify({ uri: 'missing.jpg' }),
    JSON.stringify({ uri: '../secret.png' }),
    JSON.stringify({ uri: join(t.dir, 'secret.png') }),
    JSON.stringify({ uri: 'sneaky.png' }),
    JSON.stringify({ alt_text: 'no uri' }),
    JSON.stringify({ uri: 'a.jpg', boxes: [{ box: [5, 1, 2, 4], category: 'x' }] }),
    JSON.stringify({ uri: 'https://Example.COM:443/x.jpg' }),
    '[1, 2]',
    JSON.stringify({ uri: 'sub/../a.jpg' }),
  ];
  writeText(join(root, 'm.jsonl'), lines.join('\n') + '\n');
});
after(() => t.done());

test('lists items with alt-text, boxes and texts; each bad line is a problem with its line number; the rest go on', async () => {
  const src = new JsonlManifestSource(join(root, 'm.jsonl'));
  const { items, problems } = await collect(src);
  assert.deepEqual(
    items.map((i) => [i.line, i.uri]),
    [
      [1, join(root, 'a.jpg')],
      [2, join(root, 'sub', 'b.png')],
      [11, 'https://example.com/x.jpg'],
      [13, join(root, 'a.jpg')],
    ],
  );
  assert.equal(items[0]!.alt_text, 'a red square');
  assert.deepEqual(items[0]!.existing_boxes, [{ box: [1, 1, 5, 4], category: 'square' }]);
  assert.equal(items[1]!.alt_text, 'from caption');
  assert.deepEqual(items[1]!.existing_texts, [{ granularity: 'detailed', text: 'A red square.' }]);
  assert.deepEqual([items[1]!.width, items[1]!.height], [8, 6]);
  assert.deepEqual(
    problems.map((p) => [p.line, p.reason]),
    [
      [3, 'malformed'],
      [5, 'missing_file'],
      [6, 'outside_root'],
      [7, 'outside_root'],
      [8, 'outside_root'],
      [9, 'missing_uri'],
      [10, 'bad_annotation'],
      [12, 'malformed'],
    ],
  );
  const src0 = `jsonl manifest ${join(root, 'm.jsonl')}`;
  for (const p of problems) assert.ok(p.message.startsWith(`${src0}, line ${p.line}: `), p.message);
  const byLine = new Map(problems.map((p) => [p.line, p.message]));
  assert.match(byLine.get(3)!, /not valid JSON/);
  assert.match(byLine.get(5)!, /missing\.jpg does not exist/);
  assert.match(byLine.get(6)!, /"\.\.\/secret\.png" climbs out with "\.\."/);
  assert.match(byLine.get(7)!, /is an absolute path outside the source root/);
  assert.match(byLine.get(8)!, /resolves through a symlink to .*secret\.png/);
  assert.match(byLine.get(10)!, /"boxes\[0\]" box must have x1 > x0 and y1 > y0/);
});

test('allowOutside accepts paths outside the root', async () => {
  const { problems } = await collect(new JsonlManifestSource(join(root, 'm.jsonl'), { allowOutside: true }));
  assert.ok(!problems.some((p) => p.reason === 'outside_root'));
});

test('checkFiles: false does not look at the disk (a missing file passes)', async () => {
  const { problems } = await collect(new JsonlManifestSource(join(root, 'm.jsonl'), { checkFiles: false }));
  assert.ok(!problems.some((p) => p.reason === 'missing_file'));
});

test('a BOM and CRLF line ends are not part of the data', async () => {
  writeText(join(root, 'bom.jsonl'), '\ufeff{"uri":"a.jpg"}\r\n{"uri":"sub/b.png"}\r\n');
  const { items, problems } = await collect(new JsonlManifestSource(join(root, 'bom.jsonl')));
  assert.deepEqual(
    items.map((i) => i.uri),
    [join(root, 'a.jpg'), join(root, 'sub', 'b.png')],
  );
  assert.equal(problems.length, 0);
});

test('lines end where readline ends them (LF, CRLF, lone CR, blank lines, a CRLF split between read chunks)', async () => {
  // the reader reads 1 MiB chunks: a long line makes one \r end the first chunk and its \n start the next
  const ends = ['\n', '\r\n', '\r', '\n\n', '\r\r\n', ' \n'];
  const lines = Array.from(
    { length: 40 },
    (_, k) => JSON.stringify({ uri: 'a.jpg', alt_text: `line ${k}` }) + ends[k % ends.length],
  ).join('');
  const open = '{"uri":"a.jpg","alt_text":"';
  const long = open + 'z'.repeat((1 << 20) - lines.length - open.length - 3) + '"}';
  assert.equal(Buffer.byteLength(lines + long + '\r'), 1 << 20);
  const text = lines + long + '\r\n' + lines + JSON.stringify({ uri: 'a.jpg', alt_text: 'last' }) + '\r';
  const file = join(root, 'ends.jsonl');
  writeText(file, text);
  const expected: [number, string][] = [];
  let n = 0;
  for await (const l of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    n++;
    if (l.trim() !== '') expected.push([n, (JSON.parse(l) as { alt_text: string }).alt_text]);
  }
  const { items, problems } = await collect(new JsonlManifestSource(file));
  assert.equal(problems.length, 0);
  assert.deepEqual(
    items.map((i) => [i.line, i.alt_text ?? '']),
    expected,
  );
});

test('a manifest that cannot be opened is a whole-source error naming it', async () => {
  await assert.rejects(
    collect(new JsonlManifestSource(join(root, 'none.jsonl'))),
    (e: Error) => e instanceof SourceError && /jsonl manifest .*none\.jsonl: cannot read/.test(e.message),
  );
});

test('a root that does not exist fails the whole source, naming it', async () => {
  await assert.rejects(
    collect(new JsonlManifestSource(join(root, 'm.jsonl'), { root: join(root, 'no-such-dir') })),
    (e: Error) =>
      e instanceof SourceError &&
      /jsonl manifest .*m\.jsonl: the source root .*no-such-dir cannot be resolved/.test(e.message),
  );
});
