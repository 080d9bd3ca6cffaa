// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuseBoxes } from '../../../filters/boxes/fusion.ts';
import { boxArrays, boxAt } from '../../../filters/boxes/arrays.ts';

test('two sources agreeing on a box fuse into the score-weighted mean, keeping both sources', () => {
  const { fused, stats } = fuseBoxes(
    [
      { source: 'detector@1', boxes: boxArrays([{ box: [10, 10, 50, 50], score: 0.9, label: 3 }]) },
      { source: 'florence2@r1', boxes: boxArrays([{ box: [12, 12, 52, 52], score: 0.3, label: 3 }]) },
    ],
    { iouThreshold: 0.55 },
  );
  assert.equal(fused.scores.length, 1);
  // x0 = (10*0.9 + 12*0.3) / 1.2 = 10.5
  assert.deepEqual(
    boxAt(fused, 0).map((v) => +v.toFixed(9)),
    [10.5, 10.5, 50.5, 50.5],
  );
  // mean score 0.6 * min(2 members, 2 sources) / 2 sources
  assert.ok(Math.abs(fused.scores[0] - 0.6) < 1e-12);
  assert.deepEqual(fused.sources, [['detector@1', 'florence2@r1']]);
  assert.deepEqual(fused.members, [
    [
      [0, 0],
      [1, 0],
    ],
  ]);
  assert.deepEqual(stats, { filter: 'box_fusion', total: 2, kept: 1, dropped: { fused: 1 }, changed: {} });
});

test('a box only one of two sources saw keeps its place with half its score; labels never fuse across', () => {
  const { fused } = fuseBoxes(
    [
      {
        source: 'a',
        boxes: boxArrays([
          { box: [0, 0, 10, 10], score: 0.8, label: 1 },
          { box: [100, 100, 120, 120], score: 0.6, label: 1 },
        ]),
      },
      { source: 'b', boxes: boxArrays([{ box: [0, 0, 10, 10], score: 0.8, label: 2 }]) },
    ],
    { iouThreshold: 0.5 },
  );
  assert.equal(fused.scores.length, 3);
  assert.deepEqual(
    Array.from(fused.scores).map((s) => +s.toFixed(6)),
    [0.4, 0.4, 0.3],
  );
  assert.deepEqual(fused.sources, [['a'], ['b'], ['a']]);
  assert.deepEqual(Array.from(fused.labels), [1, 2, 1]);
});

test('source weights, skipped low scores, and a cluster that grows from the best box', () => {
  const { fused, stats } = fuseBoxes(
    [
      { source: 'human', weight: 2, boxes: boxArrays([{ box: [0, 0, 100, 100], score: 1 }]) },
      {
        source: 'det',
        boxes: boxArrays([
          { box: [4, 4, 104, 104], score: 0.5 },
          { box: [2, 2, 102, 102], score: 0.01 },
        ]),
      },
    ],
    { iouThreshold: 0.55, skipBelow: 0.05 },
  );
  assert.equal(fused.scores.length, 1);
  // weighted scores 2 and 0.5: x0 = (0*2 + 4*0.5) / 2.5 = 0.8; score = mean(2, 0.5) * 2 / 3
  assert.deepEqual(
    boxAt(fused, 0).map((v) => +v.toFixed(9)),
    [0.8, 0.8, 100.8, 100.8],
  );
  assert.ok(Math.abs(fused.scores[0] - (1.25 * 2) / 3) < 1e-12);
  assert.deepEqual(stats.dropped, { low_score: 1, fused: 1 });
  assert.equal(stats.total, 3);
});

test('fusion of many noisy copies lands near the truth', () => {
  // 5 sources each see the same 20 boxes with +-2 px noise: 20 fused boxes, each from all 5
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const truth = Array.from({ length: 20 }, (_, i) => [i * 50, 10, i * 50 + 40, 60]);
  const inputs = Array.from({ length: 5 }, (_, s) => ({
    source: `s${s}`,
    boxes: boxArrays(truth.map((b) => ({ box: b.map((v) => v + (rnd() - 0.5) * 4), score: 0.5 + rnd() / 2 }))),
  }));
  const { fused } = fuseBoxes(inputs, { iouThreshold: 0.55 });
  assert.equal(fused.scores.length, 20);
  for (let k = 0; k < 20; k++) {
    assert.equal(fused.sources[k].length, 5);
    const b = boxAt(fused, k);
    const t = truth.find((x) => Math.abs(x[0] - b[0]) < 5)!;
    for (let c = 0; c < 4; c++) assert.ok(Math.abs(b[c] - t[c]) < 2, `fused ${b} vs truth ${t}`);
  }
});
