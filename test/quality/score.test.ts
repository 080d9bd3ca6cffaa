// @part unit
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describesObject, scoreAnnotations, type QualityReport } from '../../demo/quality/score.ts';
import { editDistance } from '../../demo/quality/cer.ts';
import { matchBoxes } from '../../demo/quality/match.ts';
import { mentionsOf } from '../../demo/quality/mentions.ts';
import { readTruth } from '../../demo/world/truth-store.ts';
import { scenesFromTruth, type Truth } from '../../demo/world/truth.ts';
import { DEFAULT_NOISE, worldLabels, type Labels } from '../../demo/world/labels.ts';
import { Rng } from '../../demo/world/rng.ts';
import { smallWorld } from '../world/helpers.ts';

let dir = '';
let truth: Truth;
let exact: Labels;
before(async () => {
  dir = await smallWorld(60, 17, { wordProbability: 0.6 });
  truth = await readTruth(dir);
  exact = worldLabels(scenesFromTruth(truth), null, 0, Rng.forImage);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the truth scored against itself is perfect', () => {
  const r = scoreAnnotations(truth, exact);
  assert.equal(r.images, 60);
  assert.equal(r.boxes.tp, truth.objects.length);
  assert.deepEqual([r.boxes.precision, r.boxes.recall, r.boxes.f1], [1, 1, 1]);
  for (const g of ['brief', 'detailed', 'more_detailed'] as const) {
    const c = r.captions[g];
    assert.deepEqual([c.captioned, c.precision, c.recall, c.colour_precision], [60, 1, 1, 1], g);
  }
  // Brief captions leave colours out of mixed groups ("three circles"); the longer ones name every colour.
  assert.ok(r.captions.brief.colour_recall < 1);
  assert.equal(r.captions.detailed.colour_recall, 1);
  assert.equal(r.captions.more_detailed.colour_recall, 1);
  assert.ok(r.grounding.phrases > 300);
  assert.equal(r.grounding.accuracy, 1);
  assert.ok(r.ocr.truth_chars > 50);
  assert.deepEqual([r.ocr.cer, r.ocr.missed, r.ocr.extra], [0, 0, 0]);
  assert.deepEqual([r.ocr.word_recall, r.ocr.word_precision, r.ocr.boxes_matched], [1, 1, truth.words.length]);
});

/** Every row moved to the next image: right kinds of rows, wrong places. */
function shuffled(labels: Labels): Labels {
  const ids = truth.images.map((i) => i.image_id);
  const next = new Map(ids.map((id, i) => [id, ids[(i + 7) % ids.length]]));
  const move = <T extends { image_id: string }>(rows: T[]) =>
    rows.map((r) => ({ ...r, image_id: next.get(r.image_id)! }));
  return {
    region_text: move(labels.region_text),
    text: move(labels.text),
    text_phrase_region: move(labels.text_phrase_region),
  };
}

test('a shuffled copy of the truth (rows moved across images) scores poorly', () => {
  const r = scoreAnnotations(truth, shuffled(exact));
  assert.ok(r.boxes.f1 < 0.1, `box F1 ${r.boxes.f1}`);
  assert.ok(r.grounding.accuracy < 0.15, `grounding ${r.grounding.accuracy}`);
  assert.ok(r.ocr.cer > 0.9, `CER ${r.ocr.cer}`);
  assert.ok(
    r.ocr.word_recall < 0.15 && r.ocr.word_precision < 0.15,
    `words ${r.ocr.word_recall} ${r.ocr.word_precision}`,
  );
  for (const g of ['brief', 'detailed', 'more_detailed'] as const) {
    assert.ok(r.captions[g].precision < 0.6 && r.captions[g].recall < 0.6, `${g} ${JSON.stringify(r.captions[g])}`);
  }
});

test('noisy labels score between the two, and more noise scores worse', () => {
  const scenes = scenesFromTruth(truth);
  const score = (k: number): QualityReport => {
    const noise = Object.fromEntries(
      Object.entries(DEFAULT_NOISE).map(([key, v]) => [key, Math.min(1, v * k)]),
    ) as unknown as typeof DEFAULT_NOISE;
    return scoreAnnotations(truth, worldLabels(scenes, noise, 3, Rng.forImage));
  };
  const light = score(1);
  const heavy = score(3);
  assert.ok(
    light.boxes.f1 < 1 && light.boxes.f1 > heavy.boxes.f1 && heavy.boxes.f1 > 0.1,
    `${light.boxes.f1} ${heavy.boxes.f1}`,
  );
  assert.ok(light.ocr.cer > 0 && heavy.ocr.cer > light.ocr.cer);
  assert.ok(light.captions.detailed.recall < 1 && heavy.captions.detailed.recall < light.captions.detailed.recall);
  assert.ok(light.captions.detailed.colour_precision > heavy.captions.detailed.colour_precision);
  assert.ok(light.grounding.accuracy < 1 && heavy.grounding.accuracy < light.grounding.accuracy);
});

test('rows keyed by engine image ids are mapped to the truth, and the scope limits what counts', () => {
  const rekey = (id: string) => `hash-${id}`;
  const rows = { region_text: exact.region_text.map((r) => ({ ...r, image_id: rekey(r.image_id) })) };
  const r = scoreAnnotations(truth, rows, { imageIdOf: (id) => id.slice(5), scope: ['000001', '000002'] });
  const n = truth.objects.filter((o) => o.image_id === '000001' || o.image_id === '000002').length;
  assert.equal(r.images, 2);
  assert.deepEqual([r.boxes.tp, r.boxes.fp, r.boxes.fn], [n, 0, 0]);
  assert.equal(
    r.ignored_rows,
    exact.region_text.length -
      exact.region_text.filter((x) => x.image_id === '000001' || x.image_id === '000002').length,
  );
});

test('the parts: edit distance, one-to-one matching at IoU 0.5, caption mentions', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('SALE', 'SALE'), 0);
  // Two predictions on one true box: only one matches; a box at IoU 1/3 does not.
  assert.deepEqual(
    matchBoxes(
      [
        [0, 0, 10, 10],
        [0, 0, 10, 10],
        [5, 0, 15, 10],
      ],
      [[0, 0, 10, 10]],
    ),
    [[0, 0]],
  );
  assert.deepEqual(matchBoxes([[5, 0, 15, 10]], [[0, 0, 10, 10]]), []);
  const m = mentionsOf('Two small red circles, a blue star and the word "heart". The arrow points to the cross.');
  assert.deepEqual([...m.categories].sort(), ['arrow', 'circle', 'cross', 'star']);
  assert.deepEqual([...m.pairs].sort(), ['blue star', 'red circle']);
});

test('region descriptions are judged on the true object their box matches: category and colour', () => {
  const r = scoreAnnotations(truth, exact);
  assert.equal(r.region_briefs.described, truth.objects.length, 'every exact box carries its description');
  assert.equal(r.region_briefs.accuracy, 1);
  // the same boxes with the colour word swapped for another colour, and with no description at all
  const regions = exact.region_text!.filter((x) => x.kind === 'object');
  const wrongColour = regions.map((x) => ({
    ...x,
    brief: x.brief!.replace(/ (\w+) (\w+)$/, (_m, c: string, cat: string) => ` ${c === 'red' ? 'blue' : 'red'} ${cat}`),
  }));
  const w = scoreAnnotations(truth, { region_text: wrongColour });
  assert.equal(w.region_briefs.described, regions.length);
  assert.equal(w.region_briefs.correct, 0, 'a wrong colour makes the description wrong');
  const none = scoreAnnotations(truth, { region_text: regions.map((x) => ({ ...x, brief: null })) });
  assert.deepEqual([none.region_briefs.described, none.region_briefs.accuracy], [0, 1]);
  // a description that names only the category (no colour) is right; another category is wrong
  const o = truth.objects[0];
  const other = o.category === 'circle' ? 'square' : 'circle';
  assert.equal(describesObject(`a ${o.category}`, o), true);
  assert.equal(describesObject(`a ${o.colour} ${other}`, o), false);
});

test('grounding accuracy per granularity of the grounded text adds up to the all-texts figure', () => {
  const r = scoreAnnotations(truth, exact);
  const g = r.grounding.by_granularity;
  assert.equal(g.brief.phrases + g.detailed.phrases + g.more_detailed.phrases, r.grounding.phrases);
  assert.equal(g.brief.correct + g.detailed.correct + g.more_detailed.correct, r.grounding.correct);
  assert.ok(g.brief.phrases > 0 && g.detailed.phrases > 0);
  // wrong boxes on the detailed texts only: the brief figure does not move
  const moved = exact.text_phrase_region!.map((x) =>
    x.granularity === 'detailed'
      ? { ...x, boxes: x.boxes.map(() => [0, 0, 1, 1] as [number, number, number, number]) }
      : x,
  );
  const w = scoreAnnotations(truth, { ...exact, text_phrase_region: moved });
  assert.equal(w.grounding.by_granularity.brief.accuracy, g.brief.accuracy);
  assert.equal(w.grounding.by_granularity.detailed.correct, 0);
});
