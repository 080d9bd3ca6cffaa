// @part unit
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CocoSource } from '../../../pipeline/sources/coco.ts';
import { SourceError } from '../../../pipeline/sources/types.ts';
import { collect, tempDir, writeImage, writeText } from './fixtures.ts';

let t: ReturnType<typeof tempDir>;
let json: string;
before(async () => {
  t = tempDir();
  await writeImage(join(t.dir, 'val2017', '000000000001.jpg'), 64, 48);
  await writeImage(join(t.dir, 'val2017', '000000000002.jpg'), 32, 32);
  json = join(t.dir, 'annotations', 'instances_val2017.json');
  writeText(
    json,
    JSON.stringify({
      info: {},
      images: [
        { id: 1, file_name: '000000000001.jpg', width: 64, height: 48 },
        { id: 2, file_name: '000000000002.jpg', width: 32, height: 32 },
        { id: 3, file_name: 'absent.jpg', width: 10, height: 10 },
        { id: 4, file_name: '../annotations/instances_val2017.json' },
      ],
      annotations: [
        { id: 10, image_id: 1, category_id: 1, bbox: [2, 3, 10, 20], iscrowd: 0 },
        { id: 11, image_id: 1, category_id: 2, bbox: [0.5, 0.5, 4, 4], iscrowd: 0 },
        { id: 12, image_id: 99, category_id: 1, bbox: [0, 0, 1, 1] },
        { id: 13, image_id: 2, category_id: 7, bbox: [0, 0, 1, 1] },
        { id: 14, image_id: 2, category_id: 1, bbox: [0, 0, 0, 5] },
        { id: 15, image_id: 2, category_id: 2, bbox: [1, 1, 2, 2] },
      ],
      categories: [
        { id: 1, name: 'person', supercategory: 'person' },
        { id: 2, name: 'traffic light' },
      ],
    }),
  );
});
after(() => t.done());

test('human boxes (xywh -> x0,y0,x1,y1) with category names ride on their images; images dir found beside annotations/', async () => {
  const src = new CocoSource(json);
  assert.equal(src.root, join(t.dir, 'val2017'));
  const { items } = await collect(src);
  assert.deepEqual(
    items.map((i) => [i.uri, i.width, i.height]),
    [
      [join(t.dir, 'val2017', '000000000001.jpg'), 64, 48],
      [join(t.dir, 'val2017', '000000000002.jpg'), 32, 32],
    ],
  );
  assert.deepEqual(items[0]!.existing_boxes, [
    { box: [2, 3, 12, 23], category: 'person' },
    { box: [0.5, 0.5, 4.5, 4.5], category: 'traffic light' },
  ]);
  assert.deepEqual(items[1]!.existing_boxes, [{ box: [1, 1, 3, 3], category: 'traffic light' }]);
});

test('an annotation naming a missing image id, an unknown category or a degenerate bbox is a problem naming it', async () => {
  const { problems } = await collect(new CocoSource(json));
  assert.deepEqual(
    problems.map((p) => [p.reason, p.where]),
    [
      ['unknown_image', 'annotations[2] (id 12)'],
      ['unknown_category', 'annotations[3] (id 13)'],
      ['bad_annotation', 'annotations[4] (id 14)'],
      ['missing_file', 'images[2] (id 3)'],
      ['outside_root', 'images[3] (id 4)'],
    ],
  );
  assert.equal(problems[0]!.message, `coco json ${json}, annotations[2] (id 12): image_id 99 is not among the images`);
  assert.match(problems[2]!.message, /bbox must be \[x, y, w, h\] with w, h > 0, got \[0,0,0,5\]/);
});

test('imagesDir overrides where file names resolve', async () => {
  const { items, problems } = await collect(new CocoSource(json, { imagesDir: t.dir }));
  assert.equal(items.length, 0);
  assert.equal(problems.filter((p) => p.reason === 'missing_file').length, 3);
});

test('annotations before images and a malformed element: read in two passes, the bad element named', async () => {
  const file = join(t.dir, 'annotations', 'odd.json');
  writeText(
    file,
    '{"annotations": [{"id": 1, "image_id": 2, "category_id": 1, "bbox": [1, 1, 2, 2]}], "categories": [{"id": 1, "name": "dot"}],\n' +
      ' "images": [{"id": 1, "file_name": "000000000001.jpg"}, {id: 7}, {"id": 2, "file_name": "000000000002.jpg", "width": 32, "height": 32}]}',
  );
  const { items, problems } = await collect(new CocoSource(file, { imagesDir: join(t.dir, 'val2017') }));
  assert.deepEqual(
    items.map((i) => [i.where, i.existing_boxes]),
    [
      ['images[0] (id 1)', []],
      ['images[2] (id 2)', [{ box: [1, 1, 3, 3], category: 'dot' }]],
    ],
  );
  assert.deepEqual(
    problems.map((p) => [p.reason, p.where]),
    [['malformed', 'images[1]']],
  );
  assert.match(problems[0]!.message, /odd\.json, images\[1\]: not valid JSON .*: "\{id: 7\}"/);
});

test('JSON without an images array is a whole-source error', async () => {
  const bad = join(t.dir, 'bad.json');
  writeText(bad, '{"annotations": []}');
  await assert.rejects(
    collect(new CocoSource(bad)),
    (e: Error) => e instanceof SourceError && /coco json .*bad\.json: not COCO instances JSON/.test(e.message),
  );
});
