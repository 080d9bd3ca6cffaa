// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterConfig } from '../../../filters/filter-config.ts';
import { filterTexts, judgeText } from '../../../filters/text/rules.ts';

const cfg = filterConfig().text;

test('a brief caption with a few objects is kept and carries its figures', () => {
  const v = judgeText({ text: 'A man riding a brown horse on a sandy beach.', granularity: 'brief' }, cfg);
  assert.deepEqual(v.decision, { keep: true });
  assert.equal(v.figures!.objects, 3);
  assert.equal(v.figures!.attributes, 2);
  assert.equal(v.figures!.actions, 1);
});

test('too many objects for the granularity drops the text with the rule and the count', () => {
  const list = Array.from(
    { length: 12 },
    (_, i) =>
      [
        'a cup',
        'a plate',
        'a fork',
        'a knife',
        'a spoon',
        'a bowl',
        'a glass',
        'a jar',
        'a pan',
        'a pot',
        'a lid',
        'a mug',
      ][i],
  ).join(', ');
  const text = `A table with ${list}.`;
  const v = judgeText({ text, granularity: 'brief' }, cfg);
  assert.equal(v.decision.keep, false);
  assert.ok(
    !v.decision.keep && v.decision.reason === 'too_many_objects' && /13 objects, more than 10/.test(v.decision.detail),
    JSON.stringify(v.decision),
  );
  // the same text is fine as a detailed one, whose limit is higher, but it has no action
  const d = judgeText({ text, granularity: 'detailed' }, cfg);
  assert.ok(!d.decision.keep && d.decision.reason === 'low_action_complexity', JSON.stringify(d.decision));
});

test('object and action complexity minimums are per granularity and configurable', () => {
  const text = 'Dogs.';
  const v = judgeText({ text, granularity: 'brief' }, cfg);
  assert.ok(!v.decision.keep && v.decision.reason === 'low_object_complexity', JSON.stringify(v.decision));
  const loose = filterConfig({ text: { brief: { minObjectComplexity: 0 } } }).text;
  assert.equal(loose.brief.maxObjects, 10, 'a partial override keeps the other defaults');
  assert.deepEqual(judgeText({ text, granularity: 'brief' }, loose).decision, { keep: true });
});

test('DiHT rules: max out-degree, actions with a subject, text-spotting', () => {
  const text = 'A red bus drives past a tall tower.';
  const strict = filterConfig({ text: { diht: { minMaxOutDegree: 5 } } }).text;
  const a = judgeText({ text, granularity: 'brief' }, strict);
  assert.ok(!a.decision.keep && a.decision.reason === 'diht_complexity', JSON.stringify(a.decision));
  const acts = filterConfig({ text: { diht: { minActionsWithSubject: 1 } } }).text;
  assert.deepEqual(judgeText({ text, granularity: 'brief' }, acts).decision, { keep: true });
  const noSubject = judgeText({ text: 'A bowl of fresh fruit on a kitchen counter.', granularity: 'brief' }, acts);
  assert.ok(!noSubject.decision.keep && noSubject.decision.reason === 'diht_actions');

  const only = filterConfig({ text: { brief: { minObjectComplexity: 0 }, diht: { textSpotting: 'only_ocr' } } }).text;
  const spotted = judgeText(
    {
      text: 'Big sale, fifty percent off.',
      granularity: 'brief',
      ocrWords: ['BIG SALE', '50%', 'FIFTY', 'PERCENT', 'OFF'],
    },
    only,
  );
  assert.ok(!spotted.decision.keep && spotted.decision.reason === 'text_spotting', JSON.stringify(spotted.decision));
  const described = judgeText(
    { text: 'A shop window with a big sale sign.', granularity: 'brief', ocrWords: ['BIG SALE'] },
    only,
  );
  assert.deepEqual(described.decision, { keep: true });
  const any = filterConfig({ text: { diht: { textSpotting: 'any_ocr' } } }).text;
  const anyHit = judgeText(
    { text: 'A shop window with a big sale sign.', granularity: 'brief', ocrWords: ['SALE'] },
    any,
  );
  assert.ok(
    !anyHit.decision.keep && anyHit.decision.reason === 'text_spotting' && anyHit.decision.detail.includes('"sale"'),
  );
  const missing = judgeText({ text: 'A shop window with a big sale sign.', granularity: 'brief' }, any);
  assert.ok(!missing.decision.keep && missing.decision.reason === 'text_spotting_no_ocr');
});

test('filterTexts counts total, kept and dropped per reason', () => {
  const { verdicts, stats } = filterTexts(
    [
      { text: 'A man riding a brown horse on a sandy beach.', granularity: 'brief' },
      { text: '', granularity: 'brief' },
      { text: '   ', granularity: 'detailed' },
      { text: 'Dogs.', granularity: 'brief' },
      { text: 'A cat\u0007 sits on a mat.', granularity: 'brief' },
    ],
    cfg,
  );
  assert.equal(verdicts.length, 5);
  assert.deepEqual(stats, {
    filter: 'text',
    total: 5,
    kept: 2,
    dropped: { empty: 1, whitespace_only: 1, low_object_complexity: 1 },
    changed: { control_characters_replaced: 1 },
  });
});

test('the default rules keep every well-formed caption of the labelled sets and the paper; Table 3 side by side', async () => {
  const { loadLabelled } = await import('./labelled.ts');
  const { readFileSync } = await import('node:fs');
  const labelled = [...loadLabelled(), ...loadLabelled('captions-heldout.json')];
  const sums: Record<string, { n: number; f: number[] }> = {};
  for (const c of labelled) {
    const v = judgeText({ text: c.text, granularity: c.granularity }, cfg);
    assert.deepEqual(v.decision, { keep: true }, `${c.id}: ${JSON.stringify(v.decision)}`);
    const f = v.figures!;
    const s = (sums[c.granularity] ??= { n: 0, f: [0, 0, 0, 0, 0, 0] });
    s.n++;
    [f.objects, f.attributes, f.actions, f.proper_nouns, f.object_complexity, f.action_complexity].forEach(
      (x, k) => (s.f[k] += x),
    );
  }
  const paper = JSON.parse(readFileSync(new URL('../../fixtures/paper-captions.json', import.meta.url), 'utf8'))
    .captions as { text: string }[];
  for (const [i, c] of paper.entries())
    assert.deepEqual(
      judgeText({ text: c.text, granularity: 'detailed' }, cfg).decision,
      { keep: true },
      `paper caption ${i}`,
    );
  // paper Table 3 (FLD-5B means): objects, attributes, actions, proper nouns, object / action complexity
  const table3: Record<string, number[]> = {
    brief: [3.23, 2.8, 0.58, 1.1, 2.8, 1.14],
    detailed: [13.31, 7.27, 4.21, 2.4, 4.0, 3.63],
    more_detailed: [28.06, 16.25, 8.76, 2.41, 4.02, 4.38],
  };
  console.log(
    'means on our captions (paper Table 3 in brackets): objects | attributes | actions | proper nouns | object cx | action cx',
  );
  for (const [g, s] of Object.entries(sums))
    console.log(`${g.padEnd(13)} ${s.f.map((x, k) => `${(x / s.n).toFixed(2)} (${table3[g][k]})`).join(' | ')}`);
});
