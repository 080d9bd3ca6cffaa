// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LocCodecError,
  dequantiseBox,
  dequantiseCoord,
  locToken,
  locTokens,
  parseLocTokens,
  quantiseBox,
  quantiseCoord,
  quantisePolygon,
  quantiseQuad,
} from '../../schemas/loc-codec.ts';
import { randomBox, randomQuad, randomSize, rng } from './florence2-fixtures.ts';

test('the TJS worked example: 640x480, bins 53,333,933,774 -> [34.24, 160.08, 597.44, 371.76]', () => {
  const b = dequantiseBox([53, 333, 933, 774], { width: 640, height: 480 });
  [34.24, 160.08, 597.44, 371.76].forEach((v, i) => assert.ok(Math.abs(b[i] - v) < 1e-9, `${b[i]} vs ${v}`));
});

test('quantise floors, uses width for x and height for y, and clamps to 0..999', () => {
  const s = { width: 1000, height: 500 };
  assert.deepEqual(quantiseBox([0, 0, 999.999, 499.999], s), [0, 0, 999, 999]);
  assert.deepEqual(quantiseBox([10.9, 10.9, 1000, 500], s), [10, 21, 999, 999]);
  assert.deepEqual(quantiseBox([-5, -0.0001, 5000, 1e9], s), [0, 0, 999, 999]);
  // floor(v / (W/1000)), MSP's form: at W = 1, v = 0.043 gives 0.043 / 0.001 = 42.99999999999999 -> 42,
  // where v * 1000 / W would give exactly 43.
  assert.equal(quantiseCoord(0.043, 1), 42);
});

test('dequantise is the bin centre and does not clamp', () => {
  assert.equal(dequantiseCoord(0, 1000), 0.5);
  assert.equal(dequantiseCoord(999, 1000), 999.5);
  assert.equal(dequantiseCoord(1000, 1000), 1000.5);
});

test('quads and polygons are quantised per (x, y) pair', () => {
  const s = { width: 200, height: 100 };
  assert.deepEqual(quantiseQuad([10, 10, 190, 10, 190, 90, 10, 90], s), [50, 100, 950, 100, 950, 900, 50, 900]);
  assert.deepEqual(quantisePolygon([1, 1, 2, 2, 3, 1], s), [5, 10, 10, 20, 15, 10]);
  assert.throws(() => quantisePolygon([1, 2, 3], s), LocCodecError);
  assert.throws(() => quantiseQuad([1, 2, 3, 4], s), LocCodecError);
});

test('bad input is refused with the value named', () => {
  assert.throws(() => quantiseCoord(Number.NaN, 10), /finite.*NaN/);
  assert.throws(() => quantiseBox([0, 0, 1, 1], { width: 0, height: 10 }), /width and height/);
  assert.throws(() => locToken(1000), /0\.\.999.*1000/);
  assert.throws(() => locToken(2.5), LocCodecError);
  assert.throws(() => locToken(-1), LocCodecError);
});

test('loc tokens format and parse back', () => {
  assert.equal(locTokens([0, 5, 999]), '<loc_0><loc_5><loc_999>');
  assert.deepEqual(parseLocTokens('a<loc_0>b<loc_12><loc_1000><loc_x><loc_007>'), [0, 12, 1000, 7]);
});

test('property: quantise never leaves 0..999 and the bin centre is within one bin of the input', () => {
  const r = rng(7);
  for (let i = 0; i < 3000; i++) {
    const s = randomSize(r);
    const wild = [(r() - 0.5) * 4 * s.width, (r() - 0.5) * 4 * s.height, r() * s.width, r() * s.height];
    for (const b of [...quantiseBox(wild, s), ...quantiseQuad(randomQuad(r, s), s)]) {
      assert.ok(Number.isInteger(b) && b >= 0 && b <= 999, `bin ${b} for size ${JSON.stringify(s)}`);
    }
    const box = randomBox(r, s);
    const back = dequantiseBox(quantiseBox(box, s), s);
    box.forEach((v, k) => {
      const bin = (k % 2 === 0 ? s.width : s.height) / 1000;
      // Inside the image the centre is at most half a bin away; one bin allows for the clamp at the far edge.
      assert.ok(Math.abs(back[k] - v) <= bin + 1e-9, `coord ${k}: ${v} -> ${back[k]} (bin ${bin})`);
    });
  }
});
