// @part unit
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { scanJsonArrays } from '../../../pipeline/sources/json-arrays.ts';
import { SourceError } from '../../../pipeline/sources/types.ts';
import { tempDir, writeText } from './fixtures.ts';

let t: ReturnType<typeof tempDir>;
before(() => (t = tempDir()));
after(() => t.done());

const doc = {
  info: { note: 'braces in strings: {[}]", and \\"escapes\\"', nested: [[1, 2], { images: [9] }] },
  images: [
    { id: 1, file_name: 'a "quoted" [name].jpg' },
    { id: 2, file_name: 'ünïcödé ✓.png' },
    3,
    'str,ing',
    null,
    [],
  ],
  licenses: [],
  annotations: [{ id: 5, bbox: [1.5, 2, 3, 4] }],
  empty: [],
  n: 42,
};

async function scan(file: string, wanted: string[], chunk?: number) {
  const got: [string, unknown, number][] = [];
  const keys = await scanJsonArrays(
    file,
    'test json',
    new Set(wanted),
    (k, json, i) => got.push([k, JSON.parse(json), i]),
    chunk,
  );
  return { got, keys };
}

test('yields every element of the wanted top-level arrays, whatever the chunk boundaries', async () => {
  const file = join(t.dir, 'doc.json');
  writeText(file, JSON.stringify(doc, null, 2));
  const want = [
    ...doc.images.map((v, i): [string, unknown, number] => ['images', v, i]),
    ['annotations', doc.annotations[0], 0],
  ];
  for (const chunk of [1, 2, 3, 7, 64, 1 << 20]) {
    const { got, keys } = await scan(file, ['images', 'annotations', 'empty'], chunk);
    assert.deepEqual(got, want, `chunk ${chunk}`);
    assert.deepEqual([...keys].sort(), ['annotations', 'empty', 'images', 'info', 'licenses', 'n']);
  }
});

test('arrays not asked for, and nested arrays of the same name, are skipped', async () => {
  const file = join(t.dir, 'doc2.json');
  writeText(file, JSON.stringify(doc));
  const { got } = await scan(file, ['annotations']);
  assert.deepEqual(got, [['annotations', doc.annotations[0], 0]]);
});

test('a file that is not an object, is truncated or unbalanced is an error with the byte offset', async () => {
  const cases: [string, RegExp][] = [
    ['[1, 2]', /byte 0: the file is not a JSON object/],
    ['{"images": [{"id": 1}', /the file ends inside a value \(truncated\?\)/],
    ['{"images": []}}', /byte 14: unbalanced brackets/],
    ['  ', /the file is empty/],
  ];
  for (const [text, re] of cases) {
    const file = join(t.dir, 'bad.json');
    writeText(file, text);
    await assert.rejects(
      scan(file, ['images']),
      (e: Error) =>
        e instanceof SourceError && e.message.startsWith('test json: invalid JSON at byte') && re.test(e.message),
      text,
    );
  }
});
