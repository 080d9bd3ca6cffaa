// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  convexHull,
  minAreaRect,
  orderClockwise,
  rectCorners,
  type Pt,
} from '../../../specialists/ocr/quad-geometry.ts';
import { ctcDecode, parseDictionary } from '../../../specialists/ocr/recognise.ts';
import { cropQuad } from '../../../specialists/ocr/crop.ts';

test('minAreaRect finds a rotated rectangle from points filling it', () => {
  const angle = (20 * Math.PI) / 180;
  const ux = Math.cos(angle),
    uy = Math.sin(angle);
  const pts: Pt[] = [];
  for (let u = 0; u <= 40; u++) for (let v = 0; v <= 10; v++) pts.push([100 + u * ux - v * uy, 50 + u * uy + v * ux]);
  const r = minAreaRect(pts);
  const [w, h] = r.w > r.h ? [r.w, r.h] : [r.h, r.w];
  assert.ok(Math.abs(w - 40) < 1e-6 && Math.abs(h - 10) < 1e-6, `got ${r.w} x ${r.h}`);
  assert.ok(Math.abs(r.cx - (100 + 20 * ux - 5 * uy)) < 1e-6 && Math.abs(r.cy - (50 + 20 * uy + 5 * ux)) < 1e-6);
  const grid: Pt[] = [];
  for (let x = 0; x <= 5; x++) for (let y = 0; y <= 3; y++) grid.push([x, y]);
  assert.deepEqual(convexHull(grid), [
    [0, 0],
    [5, 0],
    [5, 3],
    [0, 3],
  ]);
});

test('orderClockwise gives top-left, top-right, bottom-right, bottom-left whatever the input order', () => {
  const want: Pt[] = [
    [10, 20],
    [50, 22],
    [49, 40],
    [9, 38],
  ];
  for (const perm of [
    [0, 1, 2, 3],
    [2, 0, 3, 1],
    [3, 2, 1, 0],
    [1, 3, 0, 2],
  ]) {
    assert.deepEqual(orderClockwise(perm.map((i) => want[i])), want);
  }
  const corners = rectCorners({ cx: 0, cy: 0, w: 4, h: 2, ux: 1, uy: 0 });
  assert.deepEqual(orderClockwise(corners), [
    [-2, -1],
    [2, -1],
    [2, 1],
    [-2, 1],
  ]);
});

test('ctcDecode merges repeats, drops blanks, keeps a repeat split by a blank, and averages kept probabilities', () => {
  const dict = parseDictionary('a\nb\n');
  assert.deepEqual(dict, ['a', 'b', ' ']);
  const C = 4; // blank, a, b, space
  const steps = [
    [0, 0.9],
    [1, 0.8],
    [1, 0.6],
    [0, 0.9],
    [1, 0.7],
    [3, 0.5],
    [2, 0.9],
  ];
  const probs = new Float32Array(steps.length * C);
  steps.forEach(([k, p], t) => {
    probs.fill((1 - p) / (C - 1), t * C, t * C + C);
    probs[t * C + k] = p;
  });
  const r = ctcDecode(probs, 0, steps.length, C, dict);
  assert.equal(r.text, 'aa b');
  assert.ok(Math.abs(r.score - (0.8 + 0.7 + 0.5 + 0.9) / 4) < 1e-6);
});

test('cropQuad of an axis-aligned quad is the sub-image; a tall quad is turned counter-clockwise', () => {
  const w = 6,
    h = 5;
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x * 10, y * 10, 7], (y * w + x) * 3);
  const img = { width: w, height: h, data };
  const c = cropQuad(img, [
    [1, 1],
    [4, 1],
    [4, 3],
    [1, 3],
  ]);
  assert.equal(c.width, 3);
  assert.equal(c.height, 2);
  assert.deepEqual([...c.data.subarray(0, 3)], [10, 10, 7]);
  assert.deepEqual([...c.data.subarray((1 * 3 + 2) * 3, (1 * 3 + 2) * 3 + 3)], [30, 20, 7]);
  const tall = cropQuad(img, [
    [2, 0],
    [3, 0],
    [3, 4],
    [2, 4],
  ]); // 1 wide, 4 high -> 4 wide, 1 high
  assert.equal(tall.width, 4);
  assert.equal(tall.height, 1);
  assert.deepEqual(
    [...tall.data].filter((_, i) => i % 3 === 1),
    [0, 10, 20, 30],
    'top of the crop becomes its left',
  );
});
