// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateGeometry, scoreThreshold } from '../../../filters/boxes/box-geometry.ts';
import { boxArrays, boxAt } from '../../../filters/boxes/arrays.ts';
import { filterConfig } from '../../../filters/filter-config.ts';

const cfg = filterConfig().boxes;
const image = { width: 100, height: 80 };

test('a box list with NaN, infinities, negative sizes and boxes outside the image is reported per box', () => {
  const input = boxArrays([
    { box: [10, 10, 20, 20], score: 0.9 }, // 0 fine
    { box: [NaN, 10, 20, 20], score: 0.9 }, // 1
    { box: [10, 10, Infinity, 20], score: 0.9 }, // 2
    { box: [30, 30, 20, 40], score: 0.9 }, // 3 x1 < x0
    { box: [200, 10, 220, 20], score: 0.9 }, // 4 entirely right of the image
    { box: [-10, -5, 30, 30], score: 0.9 }, // 5 crosses the top-left corner: clipped
    { box: [10, 10, 10.5, 30], score: 0.9 }, // 6 narrower than 1 px
    { box: [10, 10, 20, 20], score: NaN }, // 7
    { box: [90, 70, 130, 95], score: 0.4 }, // 8 crosses the bottom-right: clipped
  ]);
  const r = validateGeometry(input, image, cfg);
  assert.deepEqual(Array.from(r.kept), [0, 5, 8]);
  assert.deepEqual(
    r.problems.map((p) => [p.index, p.reason, p.action]),
    [
      [1, 'not_finite', 'dropped'],
      [2, 'not_finite', 'dropped'],
      [3, 'negative_size', 'dropped'],
      [4, 'outside_image', 'dropped'],
      [5, 'out_of_image', 'clipped'],
      [6, 'too_small', 'dropped'],
      [7, 'score_not_finite', 'dropped'],
      [8, 'out_of_image', 'clipped'],
    ],
  );
  assert.match(r.problems[0].detail, /box 1 \[NaN, 10, 20, 20\] has a NaN or infinite coordinate/);
  assert.deepEqual(boxAt(r.boxes, 1), [0, 0, 30, 30]);
  assert.deepEqual(boxAt(r.boxes, 2), [90, 70, 100, 80]);
  assert.deepEqual(Array.from(r.boxes.scores), [0.9, 0.9, 0.4]);
  assert.deepEqual(r.stats, {
    filter: 'box_geometry',
    total: 9,
    kept: 3,
    dropped: { not_finite: 2, negative_size: 1, outside_image: 1, too_small: 1, score_not_finite: 1 },
    changed: { clipped: 2 },
  });
});

test("outOfImage 'drop' drops boxes crossing the border instead of clipping them", () => {
  const input = boxArrays([{ box: [-10, -5, 30, 30] }, { box: [1, 1, 5, 5] }]);
  const r = validateGeometry(input, image, { ...cfg, outOfImage: 'drop' });
  assert.deepEqual(Array.from(r.kept), [1]);
  assert.deepEqual(
    r.problems.map((p) => [p.index, p.reason, p.action]),
    [[0, 'out_of_image', 'dropped']],
  );
});

test('a bad image size is an error naming the size; zero-size boxes are too small', () => {
  assert.throws(
    () => validateGeometry(boxArrays([]), { width: 0, height: 10 }, cfg),
    /image size must be positive and finite, got 0x10/,
  );
  const r = validateGeometry(boxArrays([{ box: [5, 5, 5, 5] }]), image, cfg);
  assert.deepEqual(
    r.problems.map((p) => p.reason),
    ['too_small'],
  );
});

test('score threshold keeps scores at or above it and counts the rest', () => {
  const r = scoreThreshold(
    boxArrays([
      { box: [0, 0, 1, 1], score: 0.29 },
      { box: [0, 0, 1, 1], score: 0.3 },
      { box: [0, 0, 1, 1], score: 0.8 },
    ]),
    cfg.scoreThreshold,
  );
  assert.deepEqual(Array.from(r.kept), [1, 2]);
  assert.deepEqual(r.stats.dropped, { low_score: 1 });
});
