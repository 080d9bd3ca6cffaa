// @part integration
/**
 * Generated Florence-2 token sequences -> rows: every kind, coordinates in original pixels, spans of
 * grounded phrases in the input caption, and confidences from the token scores.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TASKS } from '../../schemas/florence2-tasks.ts';
import { RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import {
  boxRows,
  captionRow,
  findSpan,
  groundingRows,
  ocrRows,
  regionBriefRow,
  type RowContext,
} from '../../specialists/florence2/output-rows.ts';
import type { Generated } from '../../specialists/florence2/search.ts';
import { Florence2Tokenizer } from '../../specialists/florence2/tokenizer.ts';
import { tinyFlorence2Folder } from '../helpers/florence2-tiny.ts';

let tok: Florence2Tokenizer;
let ctx: RowContext;
const size = { width: 1000, height: 500 };

before(() => {
  const dir = tinyFlorence2Folder();
  tok = new Florence2Tokenizer(
    JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')),
    JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')),
  );
  ctx = { image_id: 'im1', size, round: 0, source: 'f2@1', tasks: DEFAULT_TASKS, tokenOf: (id) => tok.tokenOf(id) };
});

/** The sequence the decoder writes for `body` (start token, forced `<s>`, body, `</s>`); loc tokens score `locLp`, others `textLp`. */
function generated(body: string, textLp = -0.1, locLp = -0.2): Generated & { text: string } {
  const seq = [tok.idOf('</s>'), ...tok.encode(body)];
  const gen = seq.slice(1);
  const logprobs = gen.map((id, i) => (i === 0 ? 0 : /^<loc_/.test(tok.tokenOf(id)!) ? locLp : textLp));
  const forced = gen.map((_, i) => i === 0);
  const sum = logprobs.reduce((a, b) => a + b, 0);
  return { seq, sum, logprobs, forced, score: sum / gen.length, text: tok.decode(seq) };
}

const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${a} != ${b}`);

test('caption: one text row with granularity, stripped text, confidence exp(mean) over unforced tokens, zero parse figures', () => {
  const g = generated('A red car.');
  const row = TextRecord.parse(captionRow(ctx, '<DETAILED_CAPTION>', g));
  assert.equal(row.text, 'A red car.');
  assert.equal(row.granularity, 'detailed');
  assert.equal(row.text_id, 'im1:f2@1:detailed');
  // 10 byte tokens at -0.1 and </s> at -0.1; the forced <s> is left out
  close(row.score, Math.exp(-0.1));
  assert.equal(row.objects, 0);
});

test('caption text rows keep no special tokens: <s>, </s>, <pad>, <loc_N>, task tokens removed, whitespace collapsed', () => {
  const g = generated('<s>A red<loc_12><loc_900> car <pad><pad> next to\n  a<od></od>  tree.</s><unk>');
  // the crafted decode really carries the tokens the row must drop
  for (const t of ['<s>', '<pad>', '<loc_12>', '<od>', '<unk>'])
    assert.ok(g.text.includes(t), `decode lacks ${t}: ${g.text}`);
  const row = TextRecord.parse(captionRow(ctx, '<CAPTION>', g));
  assert.equal(row.text, 'A red car next to a tree.');
  assert.doesNotMatch(row.text, /<[^>]*>/);
  const only = captionRow(ctx, '<CAPTION>', generated('<loc_1><loc_2><pad>'));
  assert.equal(only.text, '');
  const brief = regionBriefRow(
    ctx,
    { region_id: 'im1:det:0', box: [1, 2, 3, 4] },
    generated('a <pad>wheel<loc_3>  of a<sep> car<loc_1><loc_2><loc_3><loc_4>'),
  );
  assert.equal(brief.brief, 'a wheel of a car');
});

test('OD: one region_text per box in pixels, a label written once over several boxes, box score over label + loc tokens', () => {
  const g = generated(
    'car<loc_10><loc_20><loc_30><loc_40>wheel<loc_1><loc_2><loc_3><loc_4><loc_5><loc_6><loc_7><loc_8>',
  );
  const rows = boxRows(ctx, '<OD>', g).map((r) => RegionTextRecord.parse(r));
  assert.deepEqual(
    rows.map((r) => r.phrase),
    ['car', 'wheel', 'wheel'],
  );
  assert.deepEqual(rows[0].box, [10.5, 20.5 * 0.5, 30.5, 40.5 * 0.5]);
  assert.deepEqual(
    rows.map((r) => r.kind),
    ['object', 'object', 'object'],
  );
  assert.equal(rows[0].brief, null);
  close(rows[0].score, Math.exp((3 * -0.1 + 4 * -0.2) / 7));
  close(rows[1].score, Math.exp((5 * -0.1 + 4 * -0.2) / 9));
  close(rows[2].score, Math.exp(-0.2));
  const dense = boxRows(ctx, '<DENSE_REGION_CAPTION>', generated('a red car<loc_10><loc_20><loc_30><loc_40>'));
  assert.equal(dense[0].brief, 'a red car');
  assert.equal(dense[0].region_id, 'im1:f2@1:dense:0');
});

test('OCR with region: kind text, the quad and its bounding box in pixels', () => {
  const rows = ocrRows(
    ctx,
    '<OCR_WITH_REGION>',
    generated('CUDA<loc_414><loc_100><loc_932><loc_100><loc_932><loc_229><loc_414><loc_229>'),
  ).map((r) => RegionTextRecord.parse(r));
  assert.equal(rows.length, 1);
  assert.equal(rows[0].kind, 'text');
  assert.equal(rows[0].phrase, 'CUDA');
  assert.deepEqual(rows[0].quad, [414.5, 50.25, 932.5, 50.25, 932.5, 114.75, 414.5, 114.75]);
  assert.deepEqual(rows[0].box, [414.5, 50.25, 932.5, 114.75]);
  close(rows[0].score, Math.exp((4 * -0.1 + 8 * -0.2) / 12));
});

test("grounding: rows carry the caption's text id, each phrase's span in the caption, its boxes; phrases not in the caption give no row", () => {
  const caption = { text_id: 'im1:cap', granularity: 'brief' as const, text: 'A red car next to a wheel and a tree' };
  const g = generated(
    'A red car<loc_1><loc_2><loc_3><loc_4>a dog<loc_5><loc_6><loc_7><loc_8>wheel<loc_1><loc_2><loc_3><loc_4><loc_9><loc_9><loc_9><loc_9>',
  );
  const rows = groundingRows(ctx, '<CAPTION_TO_PHRASE_GROUNDING>', caption, g).map((r) =>
    TextPhraseRegionRecord.parse(r),
  );
  assert.deepEqual(
    rows.map((r) => [r.phrase, r.span, r.boxes.length]),
    [
      ['A red car', [0, 9], 1],
      ['wheel', [20, 25], 2],
    ],
  );
  for (const r of rows) assert.equal(caption.text.slice(...r.span), r.phrase);
  assert.equal(rows[0].text_id, 'im1:cap');
  assert.deepEqual(findSpan('a cat and a cat', 'a cat', 2), [10, 15]);
  assert.deepEqual(findSpan('A Cat', 'a cat', 0), [0, 5]);
  assert.equal(findSpan('a cat', 'dog', 0), null);
});

test("region to description: brief text on the input region's id and box, echoed loc tokens dropped", () => {
  const region = { region_id: 'det:7', box: [1, 2, 300, 400] as [number, number, number, number], phrase: 'dog' };
  const row = RegionTextRecord.parse(
    regionBriefRow(ctx, region, generated('a small brown dog<loc_1><loc_4><loc_300><loc_800>')),
  );
  assert.equal(row.brief, 'a small brown dog');
  assert.equal(row.region_id, 'det:7');
  assert.deepEqual(row.box, region.box);
  assert.equal(row.phrase, 'dog');
});
