// @part unit
/** Our parsers where transformers.js has nothing to compare with: polygons, OVD, region text, options, fuzz. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGeneration, parseRegionText, parseTaskOutput } from '../../schemas/florence2-parse.ts';
import { POST_PROCESSING_TYPES, taskTableFromConfig } from '../../schemas/florence2-tasks.ts';
import { int, pick, rng } from './florence2-fixtures.ts';

const S = { width: 1000, height: 1000 };
const L = (...bins: number[]) => bins.map((n) => `<loc_${n}>`).join('');
const c = (...bins: number[]) => bins.map((n) => n + 0.5);
const TRI = [1, 2, 3, 4, 5, 6];

function polys(text: string) {
  const r = parseGeneration(text, 'polygons', S);
  assert.ok(r.type === 'polygons');
  return r;
}

test('polygons: <sep> splits polygons of one instance, <poly> blocks are instances', () => {
  assert.deepEqual(polys(`</s><s>${L(...TRI)}<sep>${L(...TRI, 7, 8)}</s>`).instances, [
    { label: '', polygons: [c(...TRI), c(...TRI, 7, 8)] },
  ]);
  assert.deepEqual(polys(`<poly>${L(...TRI)}</poly><poly>${L(...TRI)}<sep>${L(...TRI)}</poly>`).instances, [
    { label: '', polygons: [c(...TRI)] },
    { label: '', polygons: [c(...TRI), c(...TRI)] },
  ]);
});

test('polygons: an unpaired trailing coordinate and polygons under 3 points are dropped and counted', () => {
  const r = polys(`${L(...TRI, 9)}<sep>${L(1, 2, 3, 4)}`);
  assert.deepEqual(r.instances, [{ label: '', polygons: [c(...TRI)] }]);
  assert.equal(r.ignored, 2);
});

test('polygons: a truncated <poly> block keeps what it has; coordinates outside blocks are counted', () => {
  const r = polys(`${L(9, 9)}<poly>${L(...TRI)}</poly><poly>${L(...TRI)}`);
  assert.deepEqual(
    r.instances.map((i) => i.polygons.length),
    [1, 1],
  );
  assert.equal(r.ignored, 2);
  assert.deepEqual(polys('').instances, []);
  assert.deepEqual(polys('<poly></poly><sep>').instances, []);
});

test('open-vocabulary detection: polygons when the text holds <poly>, boxes otherwise', () => {
  const a = parseGeneration(
    `cat<poly>${L(...TRI)}</poly>dog<poly>${L(...TRI)}</poly>`,
    'description_with_bboxes_or_polygons',
    S,
  );
  assert.ok(a.type === 'description_with_bboxes_or_polygons');
  assert.deepEqual(
    a.instances.map((i) => i.label),
    ['cat', 'dog'],
  );
  assert.deepEqual(a.boxes, []);
  const b = parseGeneration(`cat${L(1, 2, 3, 4)}`, 'description_with_bboxes_or_polygons', S);
  assert.ok(b.type === 'description_with_bboxes_or_polygons');
  assert.deepEqual(b.boxLabels, ['cat']);
  assert.deepEqual(b.boxes, [c(1, 2, 3, 4)]);
  assert.deepEqual(b.instances, []);
  const u = parseGeneration(`<poly>${L(...TRI)}</poly>`, 'description_with_bboxes_or_polygons', S);
  assert.ok(u.type === 'description_with_bboxes_or_polygons');
  assert.deepEqual(u.instances, []);
  assert.equal(u.ignored, 1);
});

test('phrase grounding keeps the grouping of boxes per phrase and lists blacklisted phrases', () => {
  const r = parseGeneration(`a dog${L(1, 2, 3, 4, 5, 6, 7, 8)}it${L(1, 2, 3, 4)}`, 'phrase_grounding', S);
  assert.ok(r.type === 'phrase_grounding');
  assert.deepEqual(r.groups, [{ label: 'a dog', boxes: [c(1, 2, 3, 4), c(5, 6, 7, 8)] }]);
  assert.deepEqual(r.blacklisted, ['it']);
  const custom = parseGeneration(`a dog${L(1, 2, 3, 4)}it${L(1, 2, 3, 4)}`, 'phrase_grounding', S, {
    blacklist: new Set(['a dog']),
  });
  assert.ok(custom.type === 'phrase_grounding');
  assert.deepEqual(custom.labels, ['it']);
});

test('keepNonAscii keeps labels as written', () => {
  const r = parseGeneration(`café${L(1, 2, 3, 4)}`, 'description_with_bboxes', S, { keepNonAscii: true });
  assert.ok(r.type === 'description_with_bboxes');
  assert.deepEqual(r.labels, ['café']);
});

test('by task: the table decides the post-processing type; unknown tasks are text', () => {
  const r = parseTaskOutput(`</s><s>CUDA${L(1, 2, 3, 4, 5, 6, 7, 8)}</s>`, '<OCR_WITH_REGION>', S);
  assert.ok(r.type === 'ocr');
  assert.deepEqual(r.labels, ['CUDA']);
  assert.equal(parseTaskOutput('x', '<DocVQA>', S).type, 'pure_text');
  const tasks = taskTableFromConfig({ tasks_answer_post_processing_type: { '<MY_OD>': 'description_with_bboxes' } });
  assert.equal(parseTaskOutput(`a${L(1, 2, 3, 4)}`, '<MY_OD>', S, { tasks }).type, 'description_with_bboxes');
});

test('region text: a trailing group of 4 loc tokens is the echoed region; other loc tokens are counted', () => {
  assert.deepEqual(parseRegionText(`car${L(1, 2, 3, 4)}`, S), { text: 'car', box: c(1, 2, 3, 4), ignored: 0 });
  assert.deepEqual(parseRegionText('a red car', S), { text: 'a red car', box: null, ignored: 0 });
  assert.deepEqual(parseRegionText(`a${L(1)} car${L(1, 2, 3)}`, S), { text: 'a car', box: null, ignored: 2 });
  assert.deepEqual(parseRegionText(`car${L(1, 2, 3, 4)} tail`, S), { text: 'car tail', box: null, ignored: 1 });
});

test('property: no model output makes a parser throw, and every coordinate is a finite number', () => {
  const r = rng(99);
  const pieces = [
    '<loc_',
    '>',
    '<',
    '</s>',
    '<s>',
    '<pad>',
    '<sep>',
    '<poly>',
    '</poly>',
    'car',
    ' ',
    '\n',
    'é',
    '日',
    '🚗',
    '<loc_5>',
    '<loc_1000>',
    '<loc_999999999999>',
    'loc_',
    '7',
    '<od>',
    'it',
  ];
  for (let i = 0; i < 1500; i++) {
    const text = Array.from({ length: int(r, 0, 40) }, () =>
      r() < 0.5 ? `<loc_${int(r, 0, 999)}>` : pick(r, pieces),
    ).join('');
    for (const type of POST_PROCESSING_TYPES) {
      const out = parseGeneration(text, type, { width: 1 + r() * 5000, height: 1 + r() * 5000 });
      const nums = JSON.stringify(out).match(/-?\d+(\.\d+)?(e[+-]?\d+)?/g) ?? [];
      assert.ok(
        nums.every((n) => Number.isFinite(Number(n))),
        `${type} ${JSON.stringify(text)}`,
      );
      if ('ignored' in out) assert.ok(Number.isInteger(out.ignored) && out.ignored >= 0);
    }
  }
});
