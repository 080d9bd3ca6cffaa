// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  boxLabelProblem,
  denseRegionCaptionExample,
  groundingExample,
  ocrWithRegionExample,
  odExample,
  polygonsSuffix,
  regionExample,
  regionProposalExample,
  segmentationExample,
  textExample,
} from '../../schemas/florence2-targets.ts';
import { LocCodecError, quantiseBox, quantisePoints, type ImageSize } from '../../schemas/loc-codec.ts';
import { parseGeneration, parseRegionText } from '../../schemas/florence2-parse.ts';
import { WORDS, OCR_TEXTS, int, pick, randomBox, randomQuad, randomSize, rng } from './florence2-fixtures.ts';

const S = { width: 1000, height: 1000 };

test('OD: labels in code-unit order, each written once before its boxes in reading order', () => {
  const ex = odExample(
    [
      { label: 'wheel', box: [500, 300, 600, 400] },
      { label: 'car', box: [10, 20, 900, 800] },
      { label: 'wheel', box: [100, 290, 200, 400] },
      { label: 'Zebra', box: [1, 1, 2, 2] },
    ],
    S,
  );
  assert.deepEqual(ex, {
    task: '<OD>',
    prefix: '<OD>',
    suffix:
      'Zebra<loc_1><loc_1><loc_2><loc_2>car<loc_10><loc_20><loc_900><loc_800>wheel<loc_100><loc_290><loc_200><loc_400><loc_500><loc_300><loc_600><loc_400>',
  });
  assert.equal(odExample([], S).suffix, '');
  assert.equal(
    denseRegionCaptionExample([{ label: 'a red car on the road', box: [0, 0, 1000, 1000] }], S).suffix,
    'a red car on the road<loc_0><loc_0><loc_999><loc_999>',
  );
});

test('grounding: phrases in span order, boxes of a phrase in reading order', () => {
  const ex = groundingExample(
    'A green car and a yellow building.',
    [
      { phrase: 'a yellow building', span: [16, 33], boxes: [[5, 5, 6, 6]] },
      {
        phrase: 'A green car',
        span: [0, 11],
        boxes: [
          [50, 50, 60, 60],
          [1, 40, 2, 45],
        ],
      },
    ],
    S,
  );
  assert.equal(ex.prefix, '<CAPTION_TO_PHRASE_GROUNDING>A green car and a yellow building.');
  assert.equal(
    ex.suffix,
    'A green car<loc_1><loc_40><loc_2><loc_45><loc_50><loc_50><loc_60><loc_60>a yellow building<loc_5><loc_5><loc_6><loc_6>',
  );
  assert.throws(() => groundingExample('x', [{ phrase: 'x', boxes: [] }], S), /phrase 0.*no boxes/);
});

test('OCR with regions: lines in reading order of the top-left point; quads per (x, y) pair', () => {
  const ex = ocrWithRegionExample(
    [
      { text: 'FOR ENGINEERS', quad: [100, 300, 900, 300, 900, 400, 100, 400] },
      { text: 'CUDA', quad: [414, 100, 932, 100, 932, 229, 414, 229] },
    ],
    S,
  );
  assert.equal(
    ex.suffix,
    'CUDA<loc_414><loc_100><loc_932><loc_100><loc_932><loc_229><loc_414><loc_229>FOR ENGINEERS<loc_100><loc_300><loc_900><loc_300><loc_900><loc_400><loc_100><loc_400>',
  );
  assert.throws(
    () => ocrWithRegionExample([{ text: 'two\nlines', quad: [0, 0, 1, 0, 1, 1, 0, 1] }], S),
    /ocr line 0: text contains a line break/,
  );
});

test('region tasks: loc-token input, the loc tokens echoed after the text unless asked not to', () => {
  const s = { width: 640, height: 480 };
  const ex = regionExample('<REGION_TO_CATEGORY>', [34.24, 160.08, 597.44, 371.76], 'car', s);
  assert.deepEqual(ex, {
    task: '<REGION_TO_CATEGORY>',
    prefix: '<REGION_TO_CATEGORY><loc_53><loc_333><loc_933><loc_774>',
    suffix: 'car<loc_53><loc_333><loc_933><loc_774>',
  });
  assert.equal(
    regionExample('<REGION_TO_DESCRIPTION>', [0, 0, 10, 10], 'a car', s, { echoLocs: false }).suffix,
    'a car',
  );
  const back = parseRegionText(`</s><s>${ex.suffix}</s>`, s);
  assert.equal(back.text, 'car');
  assert.deepEqual(
    back.box?.map((v) => Math.round(v * 100) / 100),
    [34.24, 160.08, 597.44, 371.76],
  );
});

test('polygons: <sep> between polygons, <poly> wrapping for several instances or a label', () => {
  const tri = [0, 0, 10, 0, 10, 10];
  assert.equal(polygonsSuffix([{ polygons: [tri] }], S), '<loc_0><loc_0><loc_10><loc_0><loc_10><loc_10>');
  assert.equal(
    polygonsSuffix([{ polygons: [tri, tri] }], S),
    '<loc_0><loc_0><loc_10><loc_0><loc_10><loc_10><sep><loc_0><loc_0><loc_10><loc_0><loc_10><loc_10>',
  );
  assert.equal(
    polygonsSuffix([{ polygons: [tri] }, { polygons: [tri] }], S),
    '<poly><loc_0><loc_0><loc_10><loc_0><loc_10><loc_10></poly><poly><loc_0><loc_0><loc_10><loc_0><loc_10><loc_10></poly>',
  );
  assert.equal(
    polygonsSuffix([{ polygons: [tri] }], S, 'cat'),
    'cat<poly><loc_0><loc_0><loc_10><loc_0><loc_10><loc_10></poly>',
  );
  const seg = segmentationExample('<REGION_TO_SEGMENTATION>', [0, 0, 10, 10], [{ polygons: [tri] }], S);
  assert.equal(seg.prefix, '<REGION_TO_SEGMENTATION><loc_0><loc_0><loc_10><loc_10>');
  assert.equal(
    segmentationExample('<REFERRING_EXPRESSION_SEGMENTATION>', 'the dog', [{ polygons: [tri] }], S).prefix,
    '<REFERRING_EXPRESSION_SEGMENTATION>the dog',
  );
  assert.throws(() => polygonsSuffix([{ polygons: [[0, 0, 1, 1]] }], S), /instance 0 polygon 0/);
});

test('plain text targets', () => {
  assert.deepEqual(textExample('<CAPTION>', 'A cat.'), { task: '<CAPTION>', prefix: '<CAPTION>', suffix: 'A cat.' });
  assert.throws(() => textExample('<CAPTION>', 'a <loc_5> cat'), /special token/);
  assert.throws(() => textExample('<CAPTION>', 'a cat</s>'), /special token/);
});

test('bad input is one clear error naming the item and value', () => {
  assert.throws(
    () => odExample([{ label: 'a<b', box: [0, 0, 1, 1] }], S),
    (e: unknown) => e instanceof LocCodecError && /object 0: label contains '<'.*"a<b"/.test(e.message),
  );
  assert.throws(
    () =>
      odExample(
        [
          { label: 'ok', box: [0, 0, 1, 1] },
          { label: ' ', box: [0, 0, 1, 1] },
        ],
        S,
      ),
    /object 1: label is empty/,
  );
  assert.throws(() => odExample([{ label: ' car', box: [0, 0, 1, 1] }], S), /whitespace/);
  assert.throws(() => odExample([{ label: 'car', box: [5, 0, 1, 1] }], S), /object 0: box has x1 < x0.*\[5,0,1,1\]/);
  assert.throws(
    () => odExample([{ label: 'car', box: [0, 0, Number.NaN, 1] }], S),
    /object 0: box must be 4 finite numbers/,
  );
  assert.throws(() => odExample([], { width: Number.NaN, height: 3 }), /width and height/);
  assert.equal(boxLabelProblem('fine label'), null);
});

/** Each parsed coordinate within one bin of an original of the same label; every original found once. */
function assertRoundTrip(
  orig: { label: string; xy: number[] }[],
  parsed: { label: string; xy: number[] }[],
  size: ImageSize,
  what: string,
): void {
  assert.equal(parsed.length, orig.length, `${what}: count`);
  const pool = new Map<string, number[][]>();
  for (const o of orig) {
    const k = o.label + JSON.stringify(quantisePoints(o.xy, size));
    pool.set(k, [...(pool.get(k) ?? []), o.xy]);
  }
  for (const p of parsed) {
    const k = p.label + JSON.stringify(quantisePoints(p.xy, size));
    const o = pool.get(k)?.pop();
    assert.ok(o, `${what}: parsed ${k} matches no original`);
    p.xy.forEach((v, i) => {
      const bin = (i % 2 === 0 ? size.width : size.height) / 1000;
      assert.ok(Math.abs(v - o[i]) <= bin * (1 + 1e-9), `${what}: coord ${i} ${o[i]} -> ${v}, bin ${bin}`);
    });
  }
}

test('property: build -> parse gives every box, quad and polygon back within one bin, for random sizes', () => {
  const r = rng(42);
  for (let i = 0; i < 300; i++) {
    const size = randomSize(r);
    const objs = Array.from({ length: int(r, 0, 10) }, () => ({ label: pick(r, WORDS), box: randomBox(r, size) }));
    const od = parseGeneration(`</s><s>${odExample(objs, size).suffix}</s>`, 'description_with_bboxes', size);
    assert.ok(od.type === 'description_with_bboxes' && od.ignored === 0);
    assertRoundTrip(
      objs.map((o) => ({ label: o.label, xy: o.box })),
      od.boxes.map((b, k) => ({ label: od.labels[k], xy: b })),
      size,
      `od ${i}`,
    );

    const phrases = Array.from({ length: int(r, 1, 4) }, () => ({
      phrase: pick(r, WORDS),
      boxes: Array.from({ length: int(r, 1, 3) }, () => randomBox(r, size)),
    }));
    const gr = parseGeneration(groundingExample('caption', phrases, size).suffix, 'phrase_grounding', size, {
      blacklist: new Set(),
    });
    assert.ok(gr.type === 'phrase_grounding');
    assertRoundTrip(
      phrases.flatMap((p) => p.boxes.map((b) => ({ label: p.phrase, xy: b }))),
      gr.boxes.map((b, k) => ({ label: gr.labels[k], xy: b })),
      size,
      `grounding ${i}`,
    );

    const lines = Array.from({ length: int(r, 0, 5) }, () => ({ text: pick(r, OCR_TEXTS), quad: randomQuad(r, size) }));
    const ocr = parseGeneration(ocrWithRegionExample(lines, size).suffix, 'ocr', size);
    assert.ok(ocr.type === 'ocr');
    assertRoundTrip(
      lines.map((l) => ({ label: l.text, xy: l.quad })),
      ocr.quads.map((q, k) => ({ label: ocr.labels[k], xy: q })),
      size,
      `ocr ${i}`,
    );

    const props = Array.from({ length: int(r, 0, 5) }, () => randomBox(r, size));
    const rp = parseGeneration(regionProposalExample(props, size).suffix, 'bboxes', size);
    assert.ok(rp.type === 'bboxes');
    assertRoundTrip(
      props.map((b) => ({ label: '', xy: b })),
      rp.boxes.map((b) => ({ label: '', xy: b })),
      size,
      `proposals ${i}`,
    );

    const insts = Array.from({ length: int(r, 1, 3) }, () => ({
      polygons: Array.from({ length: int(r, 1, 3) }, () => randomQuad(r, size).concat(randomBox(r, size).slice(0, 2))),
    }));
    const pg = parseGeneration(polygonsSuffix(insts, size), 'polygons', size);
    assert.ok(pg.type === 'polygons' && pg.ignored === 0);
    assert.deepEqual(
      pg.instances.map((x) => x.polygons.length),
      insts.map((x) => x.polygons.length),
      `polygons ${i}: shape`,
    );
    assertRoundTrip(
      insts.flatMap((x) => x.polygons).map((xy) => ({ label: '', xy })),
      pg.instances.flatMap((x) => x.polygons).map((xy) => ({ label: '', xy })),
      size,
      `polygons ${i}`,
    );
    // Bins always in the vocabulary.
    for (const b of objs.flatMap((o) => quantiseBox(o.box, size))) assert.ok(b >= 0 && b <= 999);
  }
});
