// @part unit
/**
 * Differential test of our parsers against transformers.js 4.3.1's Florence2Processor.post_process_generation
 * (installed devDependency, built offline from a config object: no model files, no network). Every place
 * where we deliberately differ is numbered in docs/florence2-parsing.md (D1..D10) and asserted here as
 * that difference, never skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TASKS, constructPrompt } from '../../schemas/florence2-tasks.ts';
import { tjsFlorence2Processor } from './tjs-florence2.ts';
import { parseGeneration } from '../../schemas/florence2-parse.ts';
import { GROUNDING_BLACKLIST } from '../../schemas/florence2-grounding-blacklist.ts';
import {
  denseRegionCaptionExample,
  groundingExample,
  ocrWithRegionExample,
  odExample,
  regionProposalExample,
  textExample,
} from '../../schemas/florence2-targets.ts';
import type { ImageSize } from '../../schemas/loc-codec.ts';
import {
  BLACKLISTED,
  NON_ASCII_WORDS,
  OCR_TEXTS,
  WORDS,
  int,
  pick,
  randomBox,
  randomQuad,
  randomSize,
  rng,
} from './florence2-fixtures.ts';

type BoxType = 'description_with_bboxes' | 'bboxes' | 'phrase_grounding' | 'ocr';
type Type = BoxType | 'pure_text';
const TASK: Record<Type, string> = {
  description_with_bboxes: '<OD>',
  bboxes: '<REGION_PROPOSAL>',
  phrase_grounding: '<CAPTION_TO_PHRASE_GROUNDING>',
  ocr: '<OCR_WITH_REGION>',
  pure_text: '<CAPTION>',
};

const TJS = tjsFlorence2Processor();

interface Boxes {
  labels: string[];
  boxes: number[][];
}

function tjs(text: string, type: BoxType, size: ImageSize): Boxes {
  // TJS takes [width, height] (its JSDoc says height x width; docs/florence2-formats.md section 4).
  const r = TJS.post_process_generation(text, TASK[type], [size.width, size.height])[TASK[type]] as {
    labels: string[];
    bboxes?: number[][];
    quad_boxes?: number[][];
  };
  return { labels: r.labels, boxes: (r.bboxes ?? r.quad_boxes)! };
}

function ours(text: string, type: BoxType, size: ImageSize): Boxes & { ignored: number } {
  const r = parseGeneration(text, type, size);
  if (r.type === 'ocr') return { labels: r.labels, boxes: r.quads, ignored: r.ignored };
  if (r.type === 'pure_text' || r.type === 'polygons' || r.type === 'description_with_bboxes_or_polygons')
    throw new Error('not a box type');
  return { labels: r.labels, boxes: r.boxes, ignored: r.ignored };
}

function assertSame(actual: Boxes, expected: Boxes, what: string): void {
  assert.deepEqual(actual.labels, expected.labels, `${what}: labels`);
  assert.equal(actual.boxes.length, expected.boxes.length, `${what}: box count`);
  actual.boxes.forEach((b, i) => {
    assert.equal(b.length, expected.boxes[i].length, `${what}: box ${i} length`);
    b.forEach((v, k) =>
      assert.ok(Math.abs(v - expected.boxes[i][k]) <= 1e-6, `${what}: box ${i}[${k}] ${v} vs ${expected.boxes[i][k]}`),
    );
  });
}

/** Bin centres by TJS's own formula, written out here so the expectations do not lean on our codec. */
function centres(bins: number[][], size: ImageSize): number[][] {
  return bins.map((b) => b.map((n, i) => ((n + 0.5) / 1000) * (i % 2 === 0 ? size.width : size.height)));
}

const dropNonAscii = (s: string) => s.replace(/[^\x00-\x7F]/g, '').trim();

/**
 * What our parser must give for a TJS result on a builder string, applying only the documented
 * differences that such strings can trigger; counts how often each one applied.
 */
function documented(t: Boxes, type: BoxType, seen: Record<string, number>): Boxes & { ignored: number } {
  const out = { labels: [] as string[], boxes: [] as number[][], ignored: 0 };
  t.labels.forEach((label, i) => {
    let l = label;
    if (type === 'bboxes') {
      if (l !== '') seen.D6++;
      l = '';
    } else if (type !== 'ocr') {
      if (type === 'phrase_grounding' && GROUNDING_BLACKLIST.has(l)) return void seen.D7++;
      if (dropNonAscii(l) !== l) seen.D3++;
      l = dropNonAscii(l);
      if (l === '') {
        out.ignored++;
        return void seen.D4++;
      }
    }
    out.labels.push(l);
    out.boxes.push(t.boxes[i]);
  });
  return out;
}

/** Builder strings: random annotations in random image sizes, as the model would print them. */
function generated(): { type: Type; text: string; size: ImageSize }[] {
  const r = rng(20261126);
  const wrap = (s: string) => pick(r, [s, `</s><s>${s}</s>`, `<s>${s}</s>`, `</s><s>${s}</s><pad><pad>`]);
  const label = (extra: readonly string[]) => (r() < 0.15 ? pick(r, extra) : pick(r, WORDS));
  const out: { type: Type; text: string; size: ImageSize }[] = [];
  for (let i = 0; i < 60; i++) {
    const size = randomSize(r);
    const objs = Array.from({ length: int(r, 0, 8) }, () => ({
      label: label(NON_ASCII_WORDS),
      box: randomBox(r, size),
    }));
    out.push({ type: 'description_with_bboxes', text: wrap(odExample(objs, size).suffix), size });
  }
  for (let i = 0; i < 30; i++) {
    const size = randomSize(r);
    const regions = Array.from({ length: int(r, 1, 5) }, () => ({
      label: `${pick(r, WORDS)} ${pick(r, ['on the left', 'near a wall', 'with stripes', 'ok'])}`,
      box: randomBox(r, size),
    }));
    out.push({ type: 'description_with_bboxes', text: wrap(denseRegionCaptionExample(regions, size).suffix), size });
  }
  for (let i = 0; i < 20; i++) {
    const size = randomSize(r);
    out.push({
      type: 'bboxes',
      text: wrap(
        regionProposalExample(
          Array.from({ length: int(r, 0, 6) }, () => randomBox(r, size)),
          size,
        ).suffix,
      ),
      size,
    });
  }
  for (let i = 0; i < 50; i++) {
    const size = randomSize(r);
    const phrases = Array.from({ length: int(r, 1, 5) }, () => ({
      phrase: label([...BLACKLISTED, ...NON_ASCII_WORDS]),
      boxes: Array.from({ length: int(r, 1, 3) }, () => randomBox(r, size)),
    }));
    out.push({ type: 'phrase_grounding', text: wrap(groundingExample('A caption.', phrases, size).suffix), size });
  }
  for (let i = 0; i < 40; i++) {
    const size = randomSize(r);
    const lines = Array.from({ length: int(r, 0, 6) }, () => ({ text: pick(r, OCR_TEXTS), quad: randomQuad(r, size) }));
    out.push({ type: 'ocr', text: wrap(ocrWithRegionExample(lines, size).suffix), size });
  }
  for (let i = 0; i < 20; i++) {
    const words = Array.from({ length: int(r, 1, 12) }, () => pick(r, [...WORDS, ...NON_ASCII_WORDS]));
    out.push({
      type: 'pure_text',
      text:
        pick(r, ['', ' ', '\n']) + wrap(textExample('<CAPTION>', `${words.join(' ')}.`).suffix) + pick(r, ['', ' ']),
      size: { width: 1, height: 1 },
    });
  }
  return out;
}

test('builder strings: ours equals transformers.js up to the documented differences (D1, D3, D4, D7)', () => {
  const seen: Record<string, number> = { D1: 0, D3: 0, D4: 0, D7: 0, D6: 0 };
  const cases = generated();
  assert.ok(cases.length >= 200, `${cases.length} generated strings`);
  for (const [i, c] of cases.entries()) {
    const what = `case ${i} (${c.type}) ${JSON.stringify(c.text).slice(0, 120)}`;
    if (c.type === 'pure_text') {
      const t = TJS.post_process_generation(c.text, TASK.pure_text, [1, 1])[TASK.pure_text] as string;
      const o = parseGeneration(c.text, 'pure_text', c.size);
      assert.equal(o.type === 'pure_text' && o.text, t.replaceAll('<pad>', '').trim(), what);
      if (t !== t.trim() || t.includes('<pad>')) seen.D1++;
      continue;
    }
    const o = ours(c.text, c.type, c.size);
    const want = documented(tjs(c.text, c.type, c.size), c.type, seen);
    assertSame(o, want, what);
    assert.equal(o.ignored, want.ignored, `${what}: only labels emptied by D3 are ignored in a builder string`);
  }
  for (const d of ['D1', 'D3', 'D4', 'D7'])
    assert.ok(seen[d] > 0, `difference ${d} was never exercised by the builder strings`);
  // Region proposals are built without text, so D6 cannot occur here: the hand-written cases cover it.
  assert.equal(seen.D6, 0);
});

const L = (...bins: number[]) => bins.map((n) => `<loc_${n}>`).join('');
const B1 = [52, 332, 932, 774];
const B2 = [10, 20, 30, 40];
const Q1 = [414, 100, 932, 100, 932, 229, 414, 229];
const S = { width: 640, height: 480 };

interface Case {
  type: BoxType;
  text: string;
  /** What transformers.js returns, written out. */
  tjs: { labels: string[]; bins: number[][] };
  /** What we return when it differs (with the difference's number from docs/florence2-parsing.md); absent: the same as TJS. */
  ours?: { labels: string[]; bins: number[][]; diff: string };
  ignored?: number;
}

const CASES: Case[] = [
  // Well formed.
  { type: 'description_with_bboxes', text: `</s><s>car${L(...B1)}</s>`, tjs: { labels: ['car'], bins: [B1] } },
  {
    type: 'description_with_bboxes',
    text: `car${L(...B1)}wheel${L(...B2, ...B1)}`,
    tjs: { labels: ['car', 'wheel', 'wheel'], bins: [B1, B2, B1] },
  },
  {
    type: 'description_with_bboxes',
    text: `  spaced label  ${L(...B1)}`,
    tjs: { labels: ['spaced label'], bins: [B1] },
  },
  {
    type: 'description_with_bboxes',
    text: `a red car, parked${L(...B1)}`,
    tjs: { labels: ['a red car, parked'], bins: [B1] },
  },
  { type: 'description_with_bboxes', text: `two\nlines${L(...B1)}`, tjs: { labels: ['two\nlines'], bins: [B1] } },
  // Empty and whitespace.
  { type: 'description_with_bboxes', text: '', tjs: { labels: [], bins: [] } },
  { type: 'description_with_bboxes', text: '   ', tjs: { labels: [], bins: [] }, ignored: 0 },
  { type: 'description_with_bboxes', text: '</s><s></s>', tjs: { labels: [], bins: [] } },
  { type: 'description_with_bboxes', text: 'no boxes at all', tjs: { labels: [], bins: [] }, ignored: 1 },
  {
    type: 'description_with_bboxes',
    text: `car${L(...B1)} <whitespace-only label>${L(...B2)}`,
    tjs: { labels: ['car', 'whitespace-only label>'], bins: [B1, B2] },
  },
  // Missing and extra loc tokens.
  { type: 'description_with_bboxes', text: `car${L(52, 332, 932)}`, tjs: { labels: [], bins: [] }, ignored: 1 },
  { type: 'description_with_bboxes', text: `car${L(...B1, 7, 8)}`, tjs: { labels: ['car'], bins: [B1] }, ignored: 1 },
  {
    type: 'description_with_bboxes',
    text: `car${L(...B1, ...B2, 1)}`,
    tjs: { labels: ['car', 'car'], bins: [B1, B2] },
    ignored: 1,
  },
  {
    type: 'description_with_bboxes',
    text: `car${L(52)}bus${L(...B1)}`,
    tjs: { labels: ['loc_52>bus'], bins: [B1] },
    ours: { labels: ['bus'], bins: [B1], diff: 'D9' },
    ignored: 1,
  },
  {
    type: 'description_with_bboxes',
    text: `${L(...B1, 5)}car${L(...B2)}`,
    tjs: { labels: ['', 'loc_5>car'], bins: [B1, B2] },
    ours: { labels: ['car'], bins: [B2], diff: 'D4+D9' },
    ignored: 2,
  },
  {
    type: 'description_with_bboxes',
    text: `${L(...B1)}car${L(...B2)}`,
    tjs: { labels: ['', 'car'], bins: [B1, B2] },
    ours: { labels: ['car'], bins: [B2], diff: 'D4' },
    ignored: 1,
  },
  {
    type: 'description_with_bboxes',
    text: `car${L(...B1)} ${L(...B2)}`,
    tjs: { labels: ['car', ''], bins: [B1, B2] },
    ours: { labels: ['car'], bins: [B1], diff: 'D4' },
    ignored: 1,
  },
  {
    type: 'description_with_bboxes',
    text: `car<${L(...B1)}`,
    tjs: { labels: [''], bins: [B1] },
    ours: { labels: [], bins: [], diff: 'D4' },
    ignored: 1,
  },
  {
    type: 'description_with_bboxes',
    text: `car${L(...B1)}<${L(...B2)}`,
    tjs: { labels: ['car', 'car'], bins: [B1, B2] },
    ours: { labels: ['car'], bins: [B1], diff: 'D4' },
    ignored: 1,
  },
  {
    type: 'description_with_bboxes',
    text: `car${L(...B1)}trailing text`,
    tjs: { labels: ['car'], bins: [B1] },
    ignored: 1,
  },
  // Out-of-vocabulary bins: read as numbers, not clamped (docs/florence2-formats.md section 4).
  {
    type: 'description_with_bboxes',
    text: `car${L(1000, 5, 999, 1000)}`,
    tjs: { labels: ['car'], bins: [[1000, 5, 999, 1000]] },
  },
  {
    type: 'description_with_bboxes',
    text: `car<loc_007><loc_0><loc_12345><loc_1>`,
    tjs: { labels: ['car'], bins: [[7, 0, 12345, 1]] },
  },
  { type: 'description_with_bboxes', text: `car<loc_-1>${L(...B1)}`, tjs: { labels: ['loc_-1>'], bins: [B1] } },
  { type: 'description_with_bboxes', text: `car<loc_ 5>${L(...B1)}`, tjs: { labels: ['loc_ 5>'], bins: [B1] } },
  // Labels with '<'.
  { type: 'description_with_bboxes', text: `a <b> c${L(...B1)}`, tjs: { labels: ['b> c'], bins: [B1] } },
  { type: 'description_with_bboxes', text: `x < y${L(...B1)}`, tjs: { labels: ['y'], bins: [B1] } },
  {
    type: 'description_with_bboxes',
    text: `car${L(...B1)}<sep>${L(...B2)}`,
    tjs: { labels: ['car', 'sep>'], bins: [B1, B2] },
    ours: { labels: ['car'], bins: [B1], diff: 'D5' },
    ignored: 1,
  },
  {
    type: 'description_with_bboxes',
    text: `<od>car${L(...B1)}</od>`,
    tjs: { labels: ['od>car'], bins: [B1] },
    ours: { labels: ['car'], bins: [B1], diff: 'D5' },
    ignored: 1,
  },
  {
    type: 'description_with_bboxes',
    text: `car<pad>${L(...B1)}`,
    tjs: { labels: ['pad>'], bins: [B1] },
    ours: { labels: ['car'], bins: [B1], diff: 'D2' },
  },
  {
    type: 'description_with_bboxes',
    text: `car${L(...B1)}<pad>${L(...B2)}`,
    tjs: { labels: ['car', 'pad>'], bins: [B1, B2] },
    ours: { labels: ['car', 'car'], bins: [B1, B2], diff: 'D2' },
  },
  {
    type: 'description_with_bboxes',
    text: `<<s>loc_52>${L(332, 932, 774)}`,
    tjs: { labels: [''], bins: [B1] },
    ours: { labels: [], bins: [], diff: 'D4' },
    ignored: 1,
  },
  // Non-ASCII.
  {
    type: 'description_with_bboxes',
    text: `café${L(...B1)}`,
    tjs: { labels: ['café'], bins: [B1] },
    ours: { labels: ['caf'], bins: [B1], diff: 'D3' },
  },
  {
    type: 'description_with_bboxes',
    text: `日本${L(...B1)}`,
    tjs: { labels: ['日本'], bins: [B1] },
    ours: { labels: [], bins: [], diff: 'D3+D4' },
    ignored: 1,
  },
  {
    type: 'description_with_bboxes',
    text: `é car${L(...B1)}`,
    tjs: { labels: ['é car'], bins: [B1] },
    ours: { labels: ['car'], bins: [B1], diff: 'D3' },
  },
  {
    type: 'description_with_bboxes',
    text: `🚗 car${L(...B1)}`,
    tjs: { labels: ['🚗 car'], bins: [B1] },
    ours: { labels: ['car'], bins: [B1], diff: 'D3' },
  },
  // bboxes (region proposal).
  { type: 'bboxes', text: `${L(...B1, ...B2)}`, tjs: { labels: ['', ''], bins: [B1, B2] } },
  { type: 'bboxes', text: `</s><s>${L(...B1)}</s>`, tjs: { labels: [''], bins: [B1] } },
  {
    type: 'bboxes',
    text: `car${L(...B1)}${L(...B2)}`,
    tjs: { labels: ['car', 'car'], bins: [B1, B2] },
    ours: { labels: ['', ''], bins: [B1, B2], diff: 'D6' },
  },
  { type: 'bboxes', text: `${L(...B1, 3, 4)}`, tjs: { labels: [''], bins: [B1] }, ignored: 1 },
  // Phrase grounding.
  {
    type: 'phrase_grounding',
    text: `A green car${L(...B1)}a yellow building${L(...B2)}`,
    tjs: { labels: ['A green car', 'a yellow building'], bins: [B1, B2] },
  },
  { type: 'phrase_grounding', text: `people${L(...B1, ...B2)}`, tjs: { labels: ['people', 'people'], bins: [B1, B2] } },
  {
    type: 'phrase_grounding',
    text: `it${L(...B1)}a dog${L(...B2)}`,
    tjs: { labels: ['it', 'a dog'], bins: [B1, B2] },
    ours: { labels: ['a dog'], bins: [B2], diff: 'D7' },
  },
  {
    type: 'phrase_grounding',
    text: `the image${L(...B1)} I ${L(...B2)}`,
    tjs: { labels: ['the image', 'I'], bins: [B1, B2] },
    ours: { labels: [], bins: [], diff: 'D7' },
  },
  { type: 'phrase_grounding', text: `It${L(...B1)}The${L(...B2)}`, tjs: { labels: ['It', 'The'], bins: [B1, B2] } },
  {
    type: 'phrase_grounding',
    text: `${L(...B1)}`,
    tjs: { labels: [''], bins: [B1] },
    ours: { labels: [], bins: [], diff: 'D4' },
    ignored: 1,
  },
  {
    type: 'phrase_grounding',
    text: `niño${L(...B1)}`,
    tjs: { labels: ['niño'], bins: [B1] },
    ours: { labels: ['nio'], bins: [B1], diff: 'D3' },
  },
  // OCR.
  {
    type: 'ocr',
    text: `</s><s>CUDA${L(...Q1)}FOR ENGINEERS${L(...Q1)}</s>`,
    tjs: { labels: ['CUDA', 'FOR ENGINEERS'], bins: [Q1, Q1] },
  },
  { type: 'ocr', text: ` padded ${L(...Q1)}`, tjs: { labels: ['padded'], bins: [Q1] } },
  { type: 'ocr', text: `x<y${L(...Q1)}`, tjs: { labels: ['x<y'], bins: [Q1] } },
  { type: 'ocr', text: `Straße${L(...Q1)}`, tjs: { labels: ['Straße'], bins: [Q1] } },
  { type: 'ocr', text: `A\nB${L(...Q1)}`, tjs: { labels: ['B'], bins: [Q1] } },
  { type: 'ocr', text: `${L(...Q1)}`, tjs: { labels: [], bins: [] }, ignored: 1 },
  { type: 'ocr', text: `A${L(...Q1, ...Q1)}`, tjs: { labels: ['A'], bins: [Q1] }, ignored: 1 },
  { type: 'ocr', text: `A${L(...Q1.slice(0, 7))}`, tjs: { labels: [], bins: [] }, ignored: 1 },
  { type: 'ocr', text: `A${L(...Q1, 5)}`, tjs: { labels: ['A'], bins: [Q1] }, ignored: 1 },
  {
    type: 'ocr',
    text: ` ${L(...Q1)}`,
    tjs: { labels: [''], bins: [Q1] },
    ours: { labels: [], bins: [], diff: 'D8' },
    ignored: 1,
  },
  {
    type: 'ocr',
    text: `${L(...Q1, ...Q1)}`,
    tjs: { labels: ['<loc_414>'], bins: [[100, 932, 100, 932, 229, 414, 229, 414]] },
    ours: { labels: [], bins: [], diff: 'D8+D9' },
    ignored: 2,
  },
  {
    type: 'ocr',
    text: `A${L(1)}B${L(...Q1)}`,
    tjs: { labels: ['A<loc_1>B'], bins: [Q1] },
    ours: { labels: ['B'], bins: [Q1], diff: 'D9' },
    ignored: 1,
  },
  {
    type: 'ocr',
    text: `A${L(...Q1, 1, 2, 3, 4)}B${L(...Q1)}`,
    tjs: { labels: ['A', '<loc_1><loc_2><loc_3><loc_4>B'], bins: [Q1, Q1] },
    ours: { labels: ['A', 'B'], bins: [Q1, Q1], diff: 'D9' },
    ignored: 1,
  },
  {
    type: 'ocr',
    text: `A<pad>${L(...Q1)}`,
    tjs: { labels: ['A<pad>'], bins: [Q1] },
    ours: { labels: ['A'], bins: [Q1], diff: 'D2' },
  },
];

test(`hand-written malformed and adversarial strings (${CASES.length}): same as transformers.js, or the documented difference`, () => {
  const sizes: ImageSize[] = [S, { width: 1, height: 1 }, { width: 4032.5, height: 3024 }];
  for (const [i, c] of CASES.entries()) {
    for (const size of sizes) {
      const what = `hand case ${i} (${c.type}, ${size.width}x${size.height}) ${JSON.stringify(c.text)}`;
      const t = tjs(c.text, c.type, size);
      assertSame(t, { labels: c.tjs.labels, boxes: centres(c.tjs.bins, size) }, `${what}: transformers.js`);
      const o = ours(c.text, c.type, size);
      if (c.ours) {
        assert.match(c.ours.diff, /^D\d+(\+D\d+)*$/);
        assertSame(o, { labels: c.ours.labels, boxes: centres(c.ours.bins, size) }, `${what}: ours (${c.ours.diff})`);
        assert.notDeepEqual(
          { l: o.labels, n: o.boxes.length },
          { l: t.labels, n: t.boxes.length },
          `${what}: listed as a difference but equal`,
        );
      } else assertSame(o, t, `${what}: ours vs transformers.js`);
      if (c.ignored !== undefined) assert.equal(o.ignored, c.ignored, `${what}: ignored count`);
    }
  }
});

test('pure_text: TJS removes only <s> and </s>; we also remove <pad> and trim (D1)', () => {
  for (const [text, tjsWant, oursWant] of [
    ['</s><s>A cat on a mat.</s>', 'A cat on a mat.', 'A cat on a mat.'],
    ['</s><s> A cat. </s>', ' A cat. ', 'A cat.'],
    ['<pad>x<pad>', '<pad>x<pad>', 'x'],
    [
      'car<loc_52><loc_332><loc_932><loc_774>',
      'car<loc_52><loc_332><loc_932><loc_774>',
      'car<loc_52><loc_332><loc_932><loc_774>',
    ],
    ['', '', ''],
    ['日本語 ünïcödé', '日本語 ünïcödé', '日本語 ünïcödé'],
  ]) {
    assert.equal(TJS.post_process_generation(text, '<CAPTION>', [1, 1])['<CAPTION>'], tjsWant, JSON.stringify(text));
    const o = parseGeneration(text, 'pure_text', { width: 1, height: 1 });
    assert.equal(o.type === 'pure_text' && o.text, oursWant, JSON.stringify(text));
  }
});

test('polygons and open-vocabulary detection: TJS throws "not yet implemented", we parse them (D10)', () => {
  const text = `<loc_1><loc_2><loc_3><loc_4><loc_5><loc_6>`;
  for (const task of [
    '<REFERRING_EXPRESSION_SEGMENTATION>',
    '<REGION_TO_SEGMENTATION>',
    '<OPEN_VOCABULARY_DETECTION>',
  ]) {
    assert.throws(() => TJS.post_process_generation(text, task, [10, 10]), /not yet implemented/);
  }
  const o = parseGeneration(text, 'polygons', { width: 1000, height: 1000 });
  assert.ok(o.type === 'polygons');
  assert.deepEqual(o.instances, [{ label: '', polygons: [[1.5, 2.5, 3.5, 4.5, 5.5, 6.5]] }]);
});

test('prompt construction agrees with transformers.js for every task in the table', () => {
  const inputs: Record<string, string> = {
    '<CAPTION_TO_PHRASE_GROUNDING>': 'A green car parked.',
    '<REFERRING_EXPRESSION_SEGMENTATION>': 'the dog',
    '<OPEN_VOCABULARY_DETECTION>': 'a cat',
  };
  for (const s of DEFAULT_TASKS.values()) {
    const prefix = s.token + (s.takesInput ? (inputs[s.token] ?? L(...B1)) : '');
    assert.deepEqual([constructPrompt(prefix)], TJS.construct_prompts(prefix), prefix);
  }
  assert.deepEqual([constructPrompt('<DocVQA>what is this?')], TJS.construct_prompts('<DocVQA>what is this?'));
});
