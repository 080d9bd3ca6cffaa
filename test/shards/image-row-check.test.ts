// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isImageRow } from '../../pipeline/shards/image-row-check.ts';
import { ImageRecord } from '../../schemas/records.ts';

const good = {
  image_id: '0123456789abcdef',
  uri: '/data/a.jpg',
  width: 640,
  height: 480,
  collection: 'c',
  shard: 0,
  alt_text: 'a cat',
  existing_texts: [{ granularity: 'detailed', text: 'A cat on a mat.' }],
  existing_boxes: [{ box: [1, 2, 30.5, 40], category: 'cat' }],
  error: null,
};

/** The good row with each field in turn replaced by values of other shapes, or left out. */
function variants(): unknown[] {
  const values: unknown[] = [
    undefined,
    null,
    '',
    'x',
    0,
    -1,
    1.5,
    2 ** 60,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    [],
    {},
    [{ granularity: 'brief', text: 't' }],
    [{ granularity: 'huge', text: 't' }],
    [{ granularity: 'brief' }],
    [{ box: [0, 0, 1, 1], category: 'x' }],
    [{ box: [0, 0, 1], category: 'x' }],
    [{ box: [0, 0, 1, 1, 1], category: 'x' }],
    [{ box: [0, 0, Number.NaN, 1], category: 'x' }],
    [{ box: [0, 0, 1, 1] }],
    [null],
  ];
  const out: unknown[] = [good, null, [], 'row'];
  for (const k of Object.keys(good)) {
    for (const v of values) out.push({ ...good, [k]: v });
    const { [k]: _gone, ...rest } = good as Record<string, unknown>;
    out.push(rest);
  }
  return out;
}

test('accepts only rows the ImageRecord schema accepts, and the usual good rows', () => {
  let accepted = 0;
  for (const row of variants()) {
    if (!isImageRow(row)) continue;
    accepted++;
    assert.ok(ImageRecord.safeParse(row).success, JSON.stringify(row));
  }
  assert.ok(isImageRow(good));
  assert.ok(isImageRow({ ...good, width: null, height: null, alt_text: null, existing_texts: [], existing_boxes: [] }));
  assert.ok(accepted > 10);
});
