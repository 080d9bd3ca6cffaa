// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedAhead, type PairedCounts } from '../../../filters/acceptance/paired-bootstrap.ts';

/** The score of summed counts here is just the first count: the share is then a known probability. */
const first = (s: Float64Array) => s[0];

test('pairedAhead: the share of resamples in which the new side stays ahead by the margin', () => {
  assert.equal(pairedAhead([], { score: first, margin: 0, seed: 'x' }), 0, 'no image: nothing to resample');
  const same: PairedCounts[] = Array.from({ length: 10 }, () => ({ now: [1], before: [1] }));
  assert.equal(pairedAhead(same, { score: first, margin: 0, seed: 'x' }), 1, 'equal sides are ahead by a margin of 0');
  assert.equal(pairedAhead(same, { score: first, margin: 0.5, seed: 'x' }), 0);
  // one image of twenty carries the whole gain: ahead exactly when a draw holds it, 1 - (19/20)^20
  const one: PairedCounts[] = Array.from({ length: 20 }, (_, i) => ({ now: [i === 0 ? 1 : 0], before: [0] }));
  const share = pairedAhead(one, { score: first, margin: 0.5, seed: 'x', resamples: 4000 });
  assert.ok(Math.abs(share - (1 - (19 / 20) ** 20)) < 0.03, `share ${share}`);
  // seeded: the same seed gives the same share, another seed another draw
  assert.equal(
    pairedAhead(one, { score: first, margin: 0.5, seed: 'x' }),
    pairedAhead(one, { score: first, margin: 0.5, seed: 'x' }),
  );
  assert.notEqual(
    pairedAhead(one, { score: first, margin: 0.5, seed: 'x', resamples: 4000 }),
    pairedAhead(one, { score: first, margin: 0.5, seed: 'y', resamples: 4000 }),
  );
  // paired: both sides sum the same drawn images, so one more on every image is exactly 20 more in
  // every draw of 20 (draws made apart for each side would miss that about half the time)
  const paired: PairedCounts[] = Array.from({ length: 20 }, (_, i) => ({ now: [i + 1], before: [i] }));
  assert.equal(pairedAhead(paired, { score: first, margin: 20, seed: 'x' }), 1);
  // draws that cannot judge are left out of the share: the one image's gain is then in every judged draw
  const judged = (a: Float64Array) => a[0] > 0;
  assert.equal(pairedAhead(one, { score: first, margin: 0.5, seed: 'x', judged }), 1);
  assert.equal(
    pairedAhead(
      same.map(() => ({ now: [0], before: [0] })),
      { score: first, margin: 0, seed: 'x', judged },
    ),
    0,
  );
});
