// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrateBoxes, calibrateTexts } from '../../../filters/acceptance/calibrate.ts';
import {
  labelSpace,
  matchByScore,
  mentionMatcher,
  type VerifiedImage,
} from '../../../filters/acceptance/verified-score.ts';

/**
 * Calibration on hand-made verified sets: each source gets the threshold that maximises its own F1
 * per class (a dropped row costs recall), the configured one where evidence is short, `off` where
 * nothing it wrote of the class is right.
 */
const sq = (i: number) => [i * 10, 0, i * 10 + 8, 8];
// 10 images, each with one true circle at [0,0,8,8] and one true square at [10,0,18,8]
const images: VerifiedImage[] = Array.from({ length: 10 }, (_, i) => ({
  image_id: `im${i}`,
  boxes: [
    { category: 'circle', box: sq(0) },
    { category: 'square', box: sq(1) },
  ],
  texts: [],
}));
const o = { minSupport: 5, precision: null, fallback: 0.3 };

test('a detector whose true circles score 0.2-0.29 and whose false ones score under 0.15 gets a circle threshold between them', () => {
  const rows = images.flatMap((im, i) => [
    { image_id: im.image_id, source: 'det', category: 'circle', box: sq(0), score: 0.2 + i / 100 },
    { image_id: im.image_id, source: 'det', category: 'circle', box: sq(5), score: 0.05 + i / 100 }, // nothing there
    { image_id: im.image_id, source: 'det', category: 'square', box: sq(1), score: 0.9 },
  ]);
  const t = calibrateBoxes(rows, images, o);
  assert.equal(t.det.circle.rule, 'max-f1');
  assert.equal(t.det.circle.threshold, 0.2);
  assert.deepEqual(t.det.circle.at, { precision: 1, recall: 1, f1: 1 });
  // a single global 0.3 would have dropped every true circle
  assert.ok((t.det.square.threshold as number) <= 0.9);
  assert.equal(t.det.square.at.f1, 1);
});

test('two sources on different scales get different thresholds for the same class', () => {
  const rows = images.flatMap((im, i) => [
    { image_id: im.image_id, source: 'a', category: 'square', box: sq(1), score: 0.8 + i / 100 },
    { image_id: im.image_id, source: 'a', category: 'square', box: sq(4), score: 0.5 },
    { image_id: im.image_id, source: 'b', category: 'square', box: sq(1), score: 0.1 + i / 1000 },
    { image_id: im.image_id, source: 'b', category: 'square', box: sq(4), score: 0.01 },
  ]);
  const t = calibrateBoxes(rows, images, o);
  assert.equal(t.a.square.threshold, 0.8);
  assert.equal(t.b.square.threshold, 0.1);
});

test('too few verified instances or candidates keep the configured threshold, marked default', () => {
  const few = images.slice(0, 3);
  const rows = few.map((im) => ({ image_id: im.image_id, source: 'det', category: 'circle', box: sq(0), score: 0.1 }));
  const t = calibrateBoxes(rows, few, o);
  assert.equal(t.det.circle.rule, 'default');
  assert.equal(t.det.circle.threshold, 0.3);
  assert.equal(t.det.circle.support, 3);
});

test('a source that is wrong on every box of a class is turned off for it', () => {
  const rows = images.map((im, i) => ({
    image_id: im.image_id,
    source: 'det',
    category: 'circle',
    box: sq(7),
    score: 0.5 + i / 100,
  }));
  const t = calibrateBoxes(rows, images, o);
  assert.equal(t.det.circle.threshold, 'off');
});

test('a precision target picks the lowest threshold that reaches it', () => {
  // scores 0.9..0.0: the top 6 right, then wrong ones
  const rows = images.map((im, i) => ({
    image_id: im.image_id,
    source: 'det',
    category: 'circle',
    box: i < 6 ? sq(0) : sq(7),
    score: 0.9 - i / 10,
  }));
  const t = calibrateBoxes(rows, images, { ...o, precision: 0.85 });
  assert.equal(t.det.circle.rule, 'precision');
  // keeping 7 rows gives 6/7 = 0.857 >= 0.85; keeping 8 gives 0.75
  assert.ok(Math.abs((t.det.circle.threshold as number) - 0.3) < 1e-9);
});

test('texts: a captioner whose low-score captions name wrong shapes loses them; an unscored source is kept or off as a whole', () => {
  // a triangle in one image puts triangles in the label space: naming one where there is none is wrong
  const withTriangle = images.map((im, i) =>
    i ? im : { ...im, boxes: [...im.boxes, { category: 'triangle', box: sq(3) }] },
  );
  const mentions = mentionMatcher(labelSpace(withTriangle));
  const rows = images.flatMap((im, i) => [
    {
      image_id: im.image_id,
      source: 'cap',
      granularity: 'brief',
      text: i < 7 ? 'A circle and a square.' : 'Three triangles.',
      score: i < 7 ? 0.8 : 0.4,
    },
    { image_id: im.image_id, source: 'alt', granularity: 'brief', text: 'A red circle.', score: null },
  ]);
  const t = calibrateTexts(rows, withTriangle, mentions, { ...o, fallback: 0 });
  assert.equal(t.cap.brief.threshold, 0.8);
  assert.equal(t.alt.brief.threshold, 1);
  assert.equal(t.alt.brief.at.precision, 1);
  assert.ok(Math.abs(t.alt.brief.at.recall - 10 / 21) < 1e-9); // circles named in 10 images, of 21 held categories
});

test('mentions: words and regular plurals of the label space, quoted writing skipped', () => {
  const m = mentionMatcher(['box', 'circle', 'traffic light', 'strawberry']);
  assert.deepEqual([...m('Two circles, boxes and a "circle" sign near traffic lights and strawberries.')].sort(), [
    'box',
    'circle',
    'strawberry',
    'traffic light',
  ]);
  assert.deepEqual([...m('A circular thing.')], []);
});

test('matching in decreasing score is one-to-one at IoU 0.5', () => {
  assert.deepEqual(
    matchByScore(
      [
        [0, 0, 10, 10],
        [1, 1, 10, 10],
        [50, 50, 60, 60],
      ],
      [[0, 0, 10, 10]],
    ),
    [true, false, false],
  );
});
