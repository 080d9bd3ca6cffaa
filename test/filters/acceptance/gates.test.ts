// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyGates, decideGates, gateLookup, type Rows } from '../../../filters/acceptance/gates.ts';
import {
  boxCounts,
  figures,
  labelSpace,
  mentionMatcher,
  textFigures,
  textTally,
  type VerifiedImage,
} from '../../../filters/acceptance/verified-score.ts';
import { prefilterNew } from '../../../filters/merge/prefilter.ts';
import { combineWithPrevious } from '../../../filters/merge/refine-policy.ts';
import { filterConfig } from '../../../filters/filter-config.ts';
import { configuredThresholds, type MergeInput } from '../../../filters/merge/merge.ts';
import { RefinePolicy } from '../../../schemas/refine-config.ts';
import type { RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../../schemas/records.ts';

/**
 * Acceptance gates and filter-then-merge on hand-made rows: a gate keeps the previous round's rows of
 * a class when the new ones are worse on the verified set, takes the new ones when they are better by
 * the margin, and a new box that the filters drop never removes a previous one.
 */
const box = (i: number) => [i * 20, 0, i * 20 + 16, 16] as [number, number, number, number];
const images: VerifiedImage[] = Array.from({ length: 6 }, (_, i) => ({
  image_id: `im${i}`,
  boxes: [
    { category: 'circle', box: box(0) },
    { category: 'square', box: box(1) },
  ],
  texts: [],
}));
const region = (
  image: string,
  phrase: string,
  b: number[],
  source: string,
  score: number,
  round = 1,
): RegionTextRecord => ({
  image_id: image,
  round,
  region_id: `${image}:r:x`,
  kind: 'object',
  box: b as RegionTextRecord['box'],
  quad: null,
  phrase,
  brief: null,
  noun_chunks: [],
  source,
  score,
  sources: [source],
});
const text = (image: string, t: string, source: string, round = 1): TextRecord => ({
  image_id: image,
  round,
  text_id: `${image}:t:${source}`,
  granularity: 'brief',
  text: t,
  source,
  score: 0.9,
  sources: [source],
  objects: 1,
  attributes: 0,
  actions: 0,
  proper_nouns: 0,
  object_complexity: 2,
  action_complexity: 0,
});
const none: TextPhraseRegionRecord[] = [];

// previous round: circles right everywhere, squares missing; brief texts right
const previous: Rows = {
  text: images.map((im) => text(im.image_id, 'A circle and a square.', 'cap', 0)),
  region_text: images.map((im) => region(im.image_id, 'circle', box(0), 'det', 0.9, 0)),
  text_phrase_region: none,
};
// new round: circles wrongly placed, squares found; brief texts name only the circle
const candidate: Rows = {
  text: images.map((im) => text(im.image_id, 'A circle.', 'model')),
  region_text: images.flatMap((im) => [
    region(im.image_id, 'circle', box(3), 'model', 0.8),
    region(im.image_id, 'square', box(1), 'model', 0.8),
  ]),
  text_phrase_region: none,
};
const mentions = mentionMatcher(labelSpace(images));

test('gates: per class, the better side wins on the verified set, and no class scores lower after the round', () => {
  const gates = decideGates(candidate, previous, images, mentions, 0.01, 0.9);
  const d = (kind: string, cls: string) => gates.find((g) => g.kind === kind && g.class === cls)!;
  assert.equal(d('boxes', 'circle').decision, 'previous');
  assert.equal(d('boxes', 'square').decision, 'new');
  assert.equal(d('texts', 'brief').decision, 'previous');
  const final = applyGates(candidate, previous, gateLookup(gates), 1);
  const after = boxCounts(
    final.region_text.map((r) => ({ image_id: r.image_id, category: r.phrase, box: r.box, score: r.score })),
    images,
  );
  const before = boxCounts(
    previous.region_text.map((r) => ({ image_id: r.image_id, category: r.phrase, box: r.box, score: r.score })),
    images,
  );
  for (const c of ['circle', 'square']) assert.ok(figures(after.get(c)!).f1 >= figures(before.get(c)!).f1, c);
  assert.ok(
    textFigures(textTally(final.text, images, mentions)).f1 >=
      textFigures(textTally(previous.text, images, mentions)).f1,
  );
  // the kept rows are the previous round's, renumbered as this round
  assert.ok(final.region_text.filter((r) => r.phrase === 'circle').every((r) => r.source === 'det' && r.round === 1));
  assert.deepEqual(
    final.region_text.filter((r) => r.image_id === 'im0').map((r) => r.region_id),
    ['im0:r:0', 'im0:r:1'],
  );
});

test('gates: a new class better by less than the margin keeps the previous rows', () => {
  const slightly: Rows = {
    ...previous,
    region_text: previous.region_text.map((r, i) => (i === 0 ? { ...r, source: 'model' } : r)),
  };
  const gates = decideGates(slightly, previous, images, mentions, 0.01, 0.9);
  assert.equal(gates.find((g) => g.class === 'circle')!.decision, 'previous');
  const better = decideGates(candidate, { ...previous, region_text: [] }, images, mentions, 0.01, 0.9);
  assert.equal(better.find((g) => g.class === 'square')!.decision, 'new');
});

test('gates: a gain that rests on one verified image of twenty is noise and keeps the previous rows; the same gain on many images is taken', () => {
  const twenty: VerifiedImage[] = Array.from({ length: 20 }, (_, i) => ({
    image_id: `v${i}`,
    boxes: [{ category: 'circle', box: box(0) }],
    texts: [],
  }));
  const m = mentionMatcher(labelSpace(twenty));
  // previous: the circle right on 15 images, misplaced on 5; F1 0.75
  const rows = (right: (i: number) => boolean, source: string): Rows => ({
    text: [],
    region_text: twenty.map((im, i) => region(im.image_id, 'circle', box(right(i) ? 0 : 3), source, 0.9, 0)),
    text_phrase_region: none,
  });
  const prev = rows((i) => i < 15, 'det');
  const oneMore = rows((i) => i < 16, 'model'); // F1 0.80: above the margin, on one image
  const fiveMore = rows(() => true, 'model'); // F1 1.0, on five images
  const one = decideGates(oneMore, prev, twenty, m, 0.01, 0.9).find((g) => g.class === 'circle')!;
  assert.ok(one.new.f1 >= one.previous.f1 + 0.01, 'the observed figures alone would take the new rows');
  assert.equal(one.decision, 'previous');
  assert.ok(
    one.ahead! > 0.3 && one.ahead! < 0.9,
    `ahead ${one.ahead}: the one image is missing from about a third of the draws`,
  );
  assert.equal(decideGates(oneMore, prev, twenty, m, 0.01, 0).find((g) => g.class === 'circle')!.decision, 'new');
  const five = decideGates(fiveMore, prev, twenty, m, 0.01, 0.9).find((g) => g.class === 'circle')!;
  assert.equal(five.decision, 'new');
  assert.ok(five.ahead! >= 0.9);
  // resampling is seeded: the same rows give the same verdict and share
  assert.deepEqual(decideGates(oneMore, prev, twenty, m, 0.01, 0.9), decideGates(oneMore, prev, twenty, m, 0.01, 0.9));
  // worse rows are not resampled at all
  assert.equal(decideGates(prev, fiveMore, twenty, m, 0.01, 0.9).find((g) => g.class === 'circle')!.ahead, 0);
});

test('gates: a class the verified set cannot judge keeps the previous rows', () => {
  const lookup = gateLookup([]);
  assert.equal(lookup('boxes', 'hexagon'), 'previous');
  const final = applyGates(
    { ...candidate, region_text: [region('im0', 'hexagon', box(5), 'model', 0.9)] },
    { ...previous, region_text: [region('im0', 'hexagon', box(4), 'det', 0.9, 0)] },
    lookup,
    1,
  );
  assert.deepEqual(
    final.region_text.map((r) => r.source),
    ['det'],
  );
});

test('filter, then merge: a zero-sized or low-score new box does not unconfirm a previous one under keep-if-agree', () => {
  const config = filterConfig({});
  const image: MergeInput['image'] = {
    image_id: 'im0',
    width: 200,
    height: 50,
    alt_text: null,
    existing_texts: [],
    existing_boxes: [],
  };
  const fresh = {
    texts: [],
    regions: [
      { source: 'model', kind: 'object' as const, box: [40, 10, 40, 20], phrase: 'square', score: 0.9 }, // zero-wide
      { source: 'model', kind: 'object' as const, box: [100, 0, 116, 16], phrase: 'square', score: 0.05 }, // low score
    ],
    groundings: [],
  };
  const prev = { text: [], region_text: [region('im0', 'square', box(1), 'det', 0.6, 0)], text_phrase_region: [] };
  const o = { policy: RefinePolicy.parse({ region_text: 'keep-if-agree' }), agreeIou: 0.5, nmsIou: 0.5 };
  // raw rows straight into the policy: the two bad boxes make the round "not silent" and drop the square
  const raw = combineWithPrevious(image, 'brief', fresh, prev, o);
  assert.equal(raw.regions.filter((r) => r.source === 'det').length, 0);
  // filtered first: nothing of the model survives, so the previous square is carried
  const f = prefilterNew(fresh, { width: 200, height: 50 }, config, configuredThresholds(config));
  assert.equal(f.regions.length, 0);
  assert.deepEqual(f.dropped.map((d) => d.reason).sort(), ['low_score', 'too_small']);
  const combined = combineWithPrevious(image, 'brief', f, prev, o);
  assert.deepEqual(
    combined.regions.map((r) => r.source),
    ['det'],
  );
});

test('keep-if-agree: an agreeing pair keeps both provenances and the higher score', () => {
  const image: MergeInput['image'] = {
    image_id: 'im0',
    width: 200,
    height: 50,
    alt_text: null,
    existing_texts: [],
    existing_boxes: [],
  };
  const fresh = {
    texts: [],
    regions: [{ source: 'model', kind: 'object' as const, box: [21, 0, 37, 16], phrase: 'square', score: 0.35 }],
    groundings: [],
  };
  const prev = { text: [], region_text: [region('im0', 'square', box(1), 'det', 0.9, 0)], text_phrase_region: [] };
  const c = combineWithPrevious(image, 'brief', fresh, prev, {
    policy: RefinePolicy.parse({ region_text: 'keep-if-agree' }),
    agreeIou: 0.5,
    nmsIou: 0.5,
  });
  assert.equal(c.regions.length, 1);
  assert.equal(c.regions[0].score, 0.9);
  assert.deepEqual(c.regions[0].sources, ['det', 'model']);
});

test('filter, then merge, under every box policy: new boxes the filters drop never remove or replace a previous box', () => {
  const config = filterConfig({});
  const image: MergeInput['image'] = {
    image_id: 'im0',
    width: 200,
    height: 50,
    alt_text: null,
    existing_texts: [],
    existing_boxes: [],
  };
  const fresh = {
    texts: [],
    regions: [
      { source: 'model', kind: 'object' as const, box: [20, 0, 20, 16], phrase: 'square', score: 0.9 }, // zero-wide, on the previous square
      { source: 'model', kind: 'object' as const, box: [21, 1, 37, 17], phrase: 'square', score: 0.1 }, // low score, on it too
      { source: 'model', kind: 'object' as const, box: [60, 0, 76, 16], phrase: 'star', score: 0.8 }, // a good new box
    ],
    groundings: [],
  };
  const prev = { text: [], region_text: [region('im0', 'square', box(1), 'det', 0.6, 0)], text_phrase_region: [] };
  const f = prefilterNew(fresh, { width: 200, height: 50 }, config, configuredThresholds(config));
  assert.deepEqual(
    f.regions.map((r) => r.phrase),
    ['star'],
  );
  for (const policy of ['union-nms', 'union-fusion', 'keep-if-agree'] as const) {
    const c = combineWithPrevious(image, 'brief', f, prev, {
      policy: RefinePolicy.parse({ region_text: policy }),
      agreeIou: 0.5,
      nmsIou: 0.5,
    });
    const kept = c.regions.filter((r) => r.phrase === 'square');
    // keep-if-agree drops an unconfirmed previous box when the round wrote other boxes: that is the
    // policy; what it never does is let a filtered box take part
    if (policy === 'keep-if-agree') assert.equal(kept.length, 0, policy);
    else
      assert.deepEqual(
        kept.map((r) => [r.source, r.score]),
        [['det', 0.6]],
        policy,
      );
    assert.ok(
      c.regions.every((r) => r.source === 'det' || r.phrase === 'star'),
      policy,
    );
  }
  // replace: only the new survivors
  const r = combineWithPrevious(image, 'brief', f, prev, {
    policy: RefinePolicy.parse({ region_text: 'replace' }),
    agreeIou: 0.5,
    nmsIou: 0.5,
  });
  assert.deepEqual(
    r.regions.map((x) => x.phrase),
    ['star'],
  );
});

test('gates: a grounding follows its text; only a text both rounds hold has its groundings judged', () => {
  const ground = (t: TextRecord, b: number, source: string): TextPhraseRegionRecord => ({
    image_id: t.image_id,
    round: t.round,
    text_id: t.text_id,
    granularity: 'brief',
    phrase: 'circle',
    span: [0, 6],
    boxes: [box(b)],
    source,
    score: 0.9,
    sources: [source],
  });
  const prevText = text('im0', 'A circle.', 'cap', 0);
  const newText = text('im0', 'A circle and a square.', 'model');
  const shared = text('im0', 'A circle.', 'alt', 0);
  const prev: Rows = {
    text: [prevText, shared],
    region_text: [],
    text_phrase_region: [ground(prevText, 0, 'g0'), ground(shared, 0, 'g0')],
  };
  const cand: Rows = {
    text: [newText, shared],
    region_text: [],
    text_phrase_region: [ground(newText, 3, 'g1'), ground(shared, 3, 'g1')],
  };
  // the round's texts stand, the grounding gate keeps the previous: the new text keeps its own grounding,
  // the shared text gets the previous round's, the dropped text's grounding goes with it
  const takeNewTexts = gateLookup([
    {
      kind: 'texts',
      class: 'brief',
      decision: 'new',
      new: figures({ tp: 1, fp: 0, fn: 0 }),
      previous: figures({ tp: 0, fp: 0, fn: 1 }),
      support: 1,
    },
    {
      kind: 'groundings',
      class: 'brief',
      decision: 'previous',
      new: figures({ tp: 0, fp: 1, fn: 1 }),
      previous: figures({ tp: 1, fp: 0, fn: 0 }),
      support: 1,
    },
  ]);
  const a = applyGates(cand, prev, takeNewTexts, 1);
  assert.deepEqual(a.text.map((t) => t.source).sort(), ['alt', 'model']);
  assert.deepEqual(a.text_phrase_region.map((g) => [g.text_id, g.source]).sort(), [
    [shared.text_id, 'g0'],
    [newText.text_id, 'g1'],
  ]);
  // the previous texts stand: their groundings, never the new text's
  const keepTexts = gateLookup([]);
  const b = applyGates(cand, prev, keepTexts, 1);
  assert.deepEqual(b.text_phrase_region.map((g) => [g.text_id, g.source]).sort(), [
    [shared.text_id, 'g0'],
    [prevText.text_id, 'g0'],
  ]);
  // decideGates judges groundings on the shared text alone: the new one misses its circle
  const verified: VerifiedImage[] = [
    {
      image_id: 'im0',
      boxes: [
        { category: 'circle', box: box(0) },
        { category: 'square', box: box(1) },
      ],
      texts: [],
    },
  ];
  const g = decideGates(cand, prev, verified, mentions, 0.01, 0.9).find((x) => x.kind === 'groundings');
  assert.ok(g, 'a grounding gate on the shared text');
  assert.equal(g.decision, 'previous');
  assert.equal(g.new.f1, 0);
});
