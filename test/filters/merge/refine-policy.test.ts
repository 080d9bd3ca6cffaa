// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combineWithPrevious, iou, type PreviousRows } from '../../../filters/merge/refine-policy.ts';
import {
  mergeImage,
  type MergeInput,
  type RawGrounding,
  type RawRegion,
  type RawText,
} from '../../../filters/merge/merge.ts';
import { filterConfig } from '../../../filters/filter-config.ts';
import { RefinePolicy } from '../../../schemas/refine-config.ts';
import type { RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../../schemas/records.ts';
import { RECORD_SCHEMAS } from '../../../schemas/records.ts';
import { validate } from '../../../schemas/validate.ts';

/**
 * Each refinement policy on crafted inputs: round R-1 rows of one image (what round 0 kept) and the
 * new model's raw predictions, combined, then through the same merge and filters as round 0.
 */
const OLD = 'detector@1';
const NEW = 'model-round-1@1';
const image: MergeInput['image'] = {
  image_id: 'img',
  width: 640,
  height: 480,
  alt_text: null,
  existing_texts: [{ granularity: 'brief', text: 'A red circle.' }],
  existing_boxes: [],
};

const region = (
  box: number[],
  phrase: string,
  source: string,
  score: number | null,
  extra: Partial<RegionTextRecord> = {},
): RegionTextRecord => ({
  image_id: 'img',
  round: 0,
  region_id: `img:r:${phrase}:${box[0]}`,
  kind: 'object',
  box: box as RegionTextRecord['box'],
  quad: null,
  phrase,
  brief: null,
  noun_chunks: [],
  source,
  score,
  sources: [source],
  ...extra,
});
const text = (t: string, source: string, granularity: TextRecord['granularity'] = 'brief'): TextRecord =>
  ({
    image_id: 'img',
    round: 0,
    text_id: `img:t:${t.length}`,
    granularity,
    text: t,
    source,
    score: 0.9,
    sources: [source],
  }) as TextRecord;

function previous(): PreviousRows {
  const old = text('A green square and a blue circle.', 'captioner@1');
  const human = text('A red circle.', 'human');
  return {
    text: [old, human],
    region_text: [
      region([10, 10, 110, 110], 'circle', OLD, 0.9), // the new model sees it too (IoU ~0.82)
      region([300, 300, 400, 400], 'square', OLD, 0.8), // the new model does not
      region([200, 10, 300, 110], 'circle', 'human', 1, { sources: ['human'] }), // pre-existing: re-enters from the image record
      region([500, 400, 600, 450], 'text', 'ppocr@4', 0.9, {
        kind: 'text',
        phrase: 'SALE',
        quad: [500, 400, 600, 400, 600, 450, 500, 450],
      }),
    ],
    text_phrase_region: [
      {
        image_id: 'img',
        round: 0,
        text_id: old.text_id,
        granularity: 'brief',
        phrase: 'A green square',
        span: [0, 14],
        boxes: [[300, 300, 400, 400]],
        source: 'ground@1',
        score: 0.9,
        sources: ['ground@1'],
      },
      {
        image_id: 'img',
        round: 0,
        text_id: human.text_id,
        granularity: 'brief',
        phrase: 'A red circle',
        span: [0, 12],
        boxes: [[10, 10, 110, 110]],
        source: 'ground@1',
        score: 0.9,
        sources: ['ground@1'],
      },
    ] as TextPhraseRegionRecord[],
  };
}

type Fresh = { texts: RawText[]; regions: RawRegion[]; groundings: RawGrounding[] };
const fresh = (): Fresh => ({
  texts: [{ source: NEW, granularity: 'brief', text: 'A red circle and a blue circle.', score: 0.7 }],
  regions: [
    { source: NEW, kind: 'object', box: [15, 15, 115, 115], phrase: 'Circle', score: 0.6 },
    { source: NEW, kind: 'object', box: [400, 50, 500, 150], phrase: 'triangle', score: 0.7 },
    {
      source: NEW,
      kind: 'text',
      box: [505, 402, 600, 450],
      quad: [505, 402, 600, 402, 600, 450, 505, 450],
      phrase: 'SALF',
      score: 0.95,
    },
  ],
  groundings: [
    {
      source: NEW,
      text: 'A red circle.',
      granularity: 'brief',
      phrase: 'A red circle',
      span: [0, 12],
      boxes: [[12, 12, 112, 112]],
      score: 0.8,
    },
  ],
});

const policy = (p: Partial<RefinePolicy>) => RefinePolicy.parse(p);
const opts = (p: Partial<RefinePolicy>) => ({ policy: policy(p), agreeIou: 0.5, nmsIou: 0.5 });
const config = filterConfig({
  text: { brief: { minObjects: 0, maxObjects: 1000, minObjectComplexity: 0, minActionComplexity: 0 } },
  phrases: { minConfidence: 0, maxWords: 1000, blacklist: [] },
});

function merged(p: Partial<RefinePolicy>) {
  const c = combineWithPrevious(image, 'brief', fresh(), previous(), opts(p));
  const cfg = c.boxes ? { ...config, merge: { ...config.merge, boxes: c.boxes } } : config;
  const out = mergeImage({ image, round: 1, texts: c.texts, regions: c.regions, groundings: c.groundings }, cfg);
  for (const kind of ['text', 'region_text', 'text_phrase_region'] as const)
    for (const row of out[kind]) validate(RECORD_SCHEMAS[kind], row, kind);
  return {
    c,
    out,
    objects: out.region_text.filter((r) => r.kind === 'object'),
    ocr: out.region_text.filter((r) => r.kind === 'text'),
  };
}

test('iou of two boxes', () => {
  assert.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  assert.equal(iou([0, 0, 10, 10], [10, 0, 20, 10]), 0);
  assert.ok(Math.abs(iou([0, 0, 10, 10], [5, 0, 15, 10]) - 50 / 150) < 1e-12);
});

test('replace: round R-1 boxes, OCR regions, texts and groundings are gone; pre-existing annotations stay', () => {
  const { out, objects, ocr, c } = merged({
    text: 'replace',
    region_text: 'replace',
    ocr_region: 'replace',
    text_phrase_region: 'replace',
  });
  assert.deepEqual(objects.map((o) => o.phrase).sort(), ['Circle', 'triangle']);
  assert.ok(objects.every((o) => o.source === NEW && o.round === 1));
  assert.deepEqual(
    ocr.map((o) => o.phrase),
    ['SALF'],
  );
  assert.deepEqual(out.text.map((t) => [t.text, t.source]).sort(), [
    ['A red circle and a blue circle.', NEW],
    ['A red circle.', 'human'],
  ]);
  assert.deepEqual(
    out.text_phrase_region.map((g) => [g.phrase, g.sources]),
    [['A red circle', [NEW]]],
  );
  assert.equal(
    c.counts.region_replaced,
    2,
    'two model boxes of round 0 replaced (the human box is not counted: it re-enters)',
  );
});

test("union-nms: both rounds' boxes, the overlapping pair resolved by score (the old, higher-scored circle stands)", () => {
  const { objects, c } = merged({ region_text: 'union-nms' });
  assert.equal(c.boxes, 'nms');
  assert.deepEqual(objects.map((o) => [o.phrase.toLowerCase(), o.source]).sort(), [
    ['circle', OLD],
    ['square', OLD],
    ['triangle', NEW],
  ]);
});

test('union-fusion: the overlapping pair becomes one box naming both rounds; unconfirmed old boxes stay', () => {
  const { objects } = merged({ region_text: 'union-fusion' });
  const circle = objects.find((o) => o.phrase.toLowerCase() === 'circle')!;
  assert.deepEqual(circle.sources, [OLD, NEW].sort());
  assert.ok(circle.box[0] > 10 && circle.box[0] < 15, `fused box lies between the two (${circle.box})`);
  assert.ok(objects.some((o) => o.phrase === 'square' && o.source === OLD));
  assert.equal(objects.length, 3);
});

test('keep-if-agree: an old box stays only when a new box of the same label overlaps it at IoU >= agreeIou, merged into one row', () => {
  const { objects, ocr, c } = merged({ region_text: 'keep-if-agree', ocr_region: 'keep-if-agree' });
  assert.deepEqual(
    objects.map((o) => o.phrase.toLowerCase()).sort(),
    ['circle', 'triangle'],
    'the unconfirmed square is dropped',
  );
  const circle = objects.find((o) => o.phrase.toLowerCase() === 'circle')!;
  assert.deepEqual(circle.sources, [OLD, NEW].sort());
  // score-weighted mean of [10..] (0.9) and [15..] (0.6)
  assert.ok(Math.abs(circle.box[0] - (10 * 0.9 + 15 * 0.6) / 1.5) < 1e-9);
  assert.equal(c.counts.region_agreed, 1);
  assert.equal(c.counts.region_dropped_unconfirmed, 1);
  // OCR: agreement by place; the new reading stands, both sources named
  assert.deepEqual(
    ocr.map((o) => [o.phrase, o.sources]),
    [['SALF', ['ppocr@4', NEW].sort()]],
  );
});

test('keep-if-agree: a label mismatch or an IoU under the threshold is no agreement', () => {
  const f = fresh();
  f.regions = [
    { source: NEW, kind: 'object', box: [15, 15, 115, 115], phrase: 'square', score: 0.6 },
    { source: NEW, kind: 'object', box: [350, 350, 450, 450], phrase: 'square', score: 0.6 },
  ];
  const c = combineWithPrevious(image, 'brief', f, previous(), {
    ...opts({ region_text: 'keep-if-agree' }),
    agreeIou: 0.5,
  });
  // square [300,300,400,400] vs [350,350,450,450]: IoU 2500/17500 = 0.14
  assert.equal(c.counts.region_agreed, 0);
  assert.deepEqual(
    c.regions.filter((r) => r.kind === 'object').map((r) => r.source),
    [NEW, NEW],
  );
  const loose = combineWithPrevious(image, 'brief', f, previous(), {
    ...opts({ region_text: 'keep-if-agree' }),
    agreeIou: 0.1,
  });
  assert.equal(loose.counts.region_agreed, 1, 'at agreeIou 0.1 the squares agree');
});

test('keep-if-agree: an image the round wrote nothing of the kind for keeps its round R-1 items (nothing disagreed)', () => {
  const f = fresh();
  f.regions = f.regions.filter((r) => r.kind === 'text'); // the model wrote no object box for this image
  const c = combineWithPrevious(
    image,
    'brief',
    f,
    previous(),
    opts({ region_text: 'keep-if-agree', ocr_region: 'keep-if-agree' }),
  );
  const prevObjects = previous().region_text.filter((r) => r.kind === 'object' && r.source !== 'human');
  assert.ok(prevObjects.length >= 2);
  assert.deepEqual(
    c.regions.filter((r) => r.kind === 'object').map((r) => [r.phrase, r.source]),
    prevObjects.map((r) => [r.phrase, r.source]),
  );
  assert.equal(c.counts.region_carried_silent, prevObjects.length);
  assert.equal(c.counts.region_dropped_unconfirmed, undefined);
  // OCR, where the round did write regions, is still judged by agreement
  assert.equal(c.counts.ocr_carried_silent, undefined);
});

test('union-nms on OCR regions: overlapping readings suppressed class-agnostically, the higher score (ties: the new one) stands', () => {
  const { ocr } = merged({ ocr_region: 'union-nms' });
  assert.deepEqual(
    ocr.map((o) => [o.phrase, o.source]),
    [['SALF', NEW]],
    'equal scores: the new reading is kept',
  );
});

test('text union: old texts carried with their sources; identical texts of both rounds are one row', () => {
  const f = fresh();
  f.texts.push({ source: NEW, granularity: 'brief', text: 'A green square and a blue circle.', score: 0.5 });
  const c = combineWithPrevious(image, 'brief', f, previous(), opts({ text: 'union' }));
  const out = mergeImage({ image, round: 1, ...c }, config);
  const same = out.text.find((t) => t.text === 'A green square and a blue circle.')!;
  assert.deepEqual(same.sources, ['captioner@1', NEW].sort());
  assert.equal(same.source, 'captioner@1', 'the better-scored source leads');
  assert.equal(out.text.filter((t) => t.source === 'human').length, 1, 'the human text is one row, not carried twice');
  assert.equal(c.counts.text_carried, 1);
});

test('groundings union: an old grounding stays with its text; one of a dropped text is not carried; a phrase both grounded is one row', () => {
  // texts replaced: the old caption is gone, so its grounding is too; the human text's grounding agrees with the new one
  const { out, c } = merged({ text: 'replace', text_phrase_region: 'union' });
  assert.deepEqual(
    out.text_phrase_region.map((g) => [g.phrase, g.sources]),
    [['A red circle', ['ground@1', NEW].sort()]],
  );
  assert.equal(c.counts.grounding_dropped, 1);
  const u = merged({ text: 'union', text_phrase_region: 'union' });
  assert.deepEqual(u.out.text_phrase_region.map((g) => g.phrase).sort(), ['A green square', 'A red circle']);
  assert.equal(
    u.out.text_phrase_region.find((g) => g.phrase === 'A green square')!.source,
    'ground@1',
    'carried row keeps its source',
  );
});

test('groundings keep-if-agree: an old grounding the new round did not confirm is dropped; a disagreeing one adds no source', () => {
  const k = merged({ text: 'union', text_phrase_region: 'keep-if-agree' });
  assert.deepEqual(
    k.out.text_phrase_region.map((g) => [g.phrase, g.sources]),
    [['A red circle', ['ground@1', NEW].sort()]],
  );
  const f = fresh();
  f.groundings[0] = { ...f.groundings[0], boxes: [[400, 300, 500, 400]] };
  const c = combineWithPrevious(
    image,
    'brief',
    f,
    previous(),
    opts({ text: 'union', text_phrase_region: 'keep-if-agree' }),
  );
  assert.deepEqual(
    c.groundings.map((g) => [g.phrase, g.sources ?? [g.source]]),
    [['A red circle', [NEW]]],
  );
});

test('deterministic: the same inputs give the same rows', () => {
  const a = merged({ region_text: 'union-fusion', text: 'union' });
  const b = merged({ region_text: 'union-fusion', text: 'union' });
  assert.deepEqual(a.out, b.out);
});
