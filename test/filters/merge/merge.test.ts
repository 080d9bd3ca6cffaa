// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeImage, type MergeInput } from '../../../filters/merge/merge.ts';
import { filterConfig } from '../../../filters/filter-config.ts';
import { RECORD_SCHEMAS } from '../../../schemas/records.ts';
import { validate } from '../../../schemas/validate.ts';

const caption = 'A man riding a brown horse on a sandy beach.';
const detailed =
  'The image shows a man riding a brown horse on a sandy beach. The horse is running along the water. A small dog follows them.';

function input(): MergeInput {
  return {
    image: {
      image_id: 'img1',
      width: 640,
      height: 480,
      alt_text: 'IMG_2041.JPG',
      existing_texts: [{ granularity: 'detailed', text: detailed }],
      existing_boxes: [{ box: [100, 100, 300, 400], category: 'person' }],
    },
    round: 0,
    texts: [
      { source: 'captioner@1', granularity: 'brief', text: caption, score: 0.8 },
      { source: 'captioner@2', granularity: 'brief', text: `  ${caption} `, score: 0.6 },
    ],
    regions: [
      {
        source: 'detector@1',
        kind: 'object',
        box: [104, 98, 302, 396],
        phrase: 'person',
        brief: 'a man in a blue shirt',
        score: 0.9,
      },
      { source: 'detector@1', kind: 'object', box: [350, 200, 600, 470], phrase: 'horse', brief: null, score: 0.7 },
      { source: 'detector@1', kind: 'object', box: [355, 205, 605, 475], phrase: 'Horse', brief: null, score: 0.5 },
      { source: 'detector@1', kind: 'object', box: [10, 10, 20, 20], phrase: 'dog', score: 0.1 },
      { source: 'detector@1', kind: 'object', box: [NaN, 10, 20, 20], phrase: 'dog', score: 0.9 },
      {
        source: 'ocr@1',
        kind: 'text',
        box: [500, 10, 630, 40],
        quad: [500, 10, 630, 10, 630, 40, 500, 40],
        phrase: 'BEACH',
        score: 0.95,
      },
    ],
    groundings: [
      {
        source: 'grounding@1',
        text: caption,
        granularity: 'brief',
        phrase: 'A man',
        span: [0, 5],
        boxes: [[100, 100, 300, 400]],
        score: 0.9,
      },
      {
        source: 'grounding@1',
        text: caption,
        granularity: 'brief',
        phrase: 'a brown horse',
        boxes: [[350, 200, 600, 470]],
        score: 0.8,
      },
      {
        source: 'grounding@1',
        text: caption,
        granularity: 'brief',
        phrase: 'a sandy beach',
        boxes: [[NaN, 0, 1, 1]],
        score: 0.7,
      },
      {
        source: 'grounding@1',
        text: detailed,
        granularity: 'detailed',
        phrase: 'The image',
        boxes: [[0, 0, 640, 480]],
        score: 0.9,
      },
      {
        source: 'grounding@1',
        text: 'IMG_2041.JPG',
        granularity: 'brief',
        phrase: 'IMG_2041.JPG',
        boxes: [[0, 0, 10, 10]],
        score: 0.9,
      },
    ],
  };
}

test('merge of specialists, alt-text and human annotations gives valid records of the three kinds with provenance', () => {
  const out = mergeImage(input(), filterConfig());
  for (const kind of ['text', 'region_text', 'text_phrase_region'] as const) {
    for (const [i, r] of out[kind].entries()) validate(RECORD_SCHEMAS[kind], r, `${kind}[${i}]`);
  }
  // texts: the two identical captions are one row with both sources; the human detailed text kept;
  // the alt-text (a file name) dropped by the text rules
  assert.deepEqual(
    out.text.map((t) => [t.granularity, t.source, t.sources]),
    [
      ['detailed', 'human', ['human']],
      ['brief', 'captioner@1', ['captioner@1', 'captioner@2']],
    ],
  );
  assert.equal(out.text[1].objects, 3);
  assert.ok(out.dropped.some((d) => d.kind === 'text' && d.source === 'alt_text'));

  // regions: human person box fused with the detector's; the two horses fused (category case-folded)
  const objects = out.region_text.filter((r) => r.kind === 'object');
  assert.deepEqual(
    objects.map((r) => [r.phrase, r.sources]),
    [
      ['person', ['detector@1', 'human']],
      ['horse', ['detector@1']],
    ],
  );
  assert.deepEqual(objects[0].noun_chunks, ['a man', 'a blue shirt']);
  assert.equal(objects[0].brief, 'a man in a blue shirt');
  const ocr = out.region_text.filter((r) => r.kind === 'text');
  assert.deepEqual(
    ocr.map((r) => [r.phrase, r.quad?.length, r.source]),
    [['BEACH', 8, 'ocr@1']],
  );
  assert.deepEqual(
    out.dropped
      .filter((d) => d.kind === 'region_text')
      .map((d) => d.reason)
      .sort(),
    ['low_score', 'not_finite'],
  );

  // groundings: two kept with spans into the kept brief text; NaN box, blacklisted phrase, dropped text
  assert.deepEqual(
    out.text_phrase_region.map((g) => [g.phrase, g.span, g.text_id === out.text[1].text_id]),
    [
      ['A man', [0, 5], true],
      ['a brown horse', [13, 26], true],
    ],
  );
  assert.deepEqual(
    out.dropped
      .filter((d) => d.kind === 'text_phrase_region')
      .map((d) => d.reason)
      .sort(),
    ['blacklisted', 'no_valid_box', 'text_dropped'],
  );

  // stats add up: every stage's total = kept + dropped
  for (const s of out.stats)
    assert.equal(s.total, s.kept + Object.values(s.dropped).reduce((a, b) => a + b, 0), s.filter);
});

test("merge with the 'nms' policy keeps one box per overlap group, with its own source", () => {
  const out = mergeImage(input(), filterConfig({ merge: { boxes: 'nms' } }));
  const objects = out.region_text.filter((r) => r.kind === 'object');
  assert.deepEqual(
    objects.map((r) => [r.phrase, r.source, r.score]),
    [
      ['person', 'human', 1],
      ['horse', 'detector@1', 0.7],
    ],
  );
  assert.equal(out.dropped.filter((d) => d.reason === 'nms').length, 2);
});

test('merge is deterministic: same input, same ids and rows', () => {
  const a = mergeImage(input(), filterConfig());
  const b = mergeImage(input(), filterConfig());
  assert.deepEqual(a, b);
  assert.match(a.text[0].text_id, /^img1:t:[0-9a-f]{12}$/);
});

test('an image without size still merges (bounds unknown, other geometry checks apply)', () => {
  const i = input();
  i.image = { ...i.image, width: null, height: null };
  const out = mergeImage(i, filterConfig());
  assert.equal(out.region_text.filter((r) => r.kind === 'object').length, 2);
});

test('malformed boxes and unknown granularities are reported per item, the rest still merges', () => {
  const i = input();
  i.regions = [...i.regions, { source: 'detector@1', kind: 'object', box: [1, 2, 3], phrase: 'cat', score: 0.9 }];
  i.groundings = [
    ...i.groundings,
    {
      source: 'grounding@1',
      text: caption,
      granularity: 'brief',
      phrase: 'a sandy beach',
      boxes: [
        [1, 2],
        [300, 300, 400, 400],
      ],
      score: 0.8,
    },
  ];
  i.texts = [...i.texts, { source: 'captioner@1', granularity: 'huge' as never, text: 'A cat on a mat.', score: 0.9 }];
  const out = mergeImage(i, filterConfig());
  assert.deepEqual(
    out.dropped.filter((d) => d.reason === 'bad_box').map((d) => d.kind),
    ['region_text', 'text_phrase_region'],
  );
  assert.ok(out.dropped.some((d) => d.reason === 'unknown_granularity'));
  assert.equal(out.region_text.filter((r) => r.kind === 'object').length, 2);
  assert.ok(out.text_phrase_region.some((g) => g.phrase === 'a sandy beach' && g.boxes.length === 1));
});

test('control and bidirectional formatting characters never reach a text row: each is a space, counted', () => {
  const dirty = 'A man\u0000 riding a brown\u0007 horse on a \u202Esandy beach.';
  const i = input();
  i.image.alt_text = dirty;
  const out = mergeImage(i, filterConfig());
  const row = out.text.find((t) => t.sources.includes('alt_text'));
  assert.ok(row, 'the alt-text row');
  assert.equal(row.text, 'A man  riding a brown  horse on a  sandy beach.');
  assert.equal(row.text.length, dirty.length, 'offsets into the text stay valid');
  assert.doesNotMatch(out.text.map((t) => t.text).join('\n'), /[\u0000-\u0008\u007f\u202a-\u202e\u2066-\u2069]/);
  const text = out.stats.find((s) => s.filter === 'text')!;
  assert.equal(text.changed?.control_characters_replaced, 3);
});
