// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseText } from '../../../filters/text/parse.ts';
import { filterConfig } from '../../../filters/filter-config.ts';
import { judgeText } from '../../../filters/text/rules.ts';

const cfg = filterConfig().text;

test('empty, whitespace-only and non-string texts are rejected with a reason', () => {
  assert.deepEqual(parseText(''), { ok: false, reason: 'empty', detail: 'the text is empty' });
  for (const ws of ['   ', '\n\t \r\n', '\u0000\u0001\u0002']) {
    const p = parseText(ws);
    assert.ok(!p.ok && p.reason === 'whitespace_only', JSON.stringify(ws));
  }
  for (const v of [null, undefined, 42, { text: 'a' }]) {
    const p = parseText(v);
    assert.ok(!p.ok && p.reason === 'not_text');
  }
  const v = judgeText({ text: null, granularity: 'brief' }, cfg);
  assert.ok(!v.decision.keep && v.decision.reason === 'not_text' && v.parse === null);
});

test('a 100 KB text is rejected as too long by default and parses when the limit allows it', () => {
  const sentence = 'A brown dog is running across a green field near a small wooden house. ';
  const big = sentence.repeat(Math.ceil(100_000 / sentence.length)).slice(0, 100_000);
  const r = parseText(big);
  assert.ok(!r.ok && r.reason === 'too_long' && r.detail.includes('100000'));
  const p = parseText(big, { maxChars: 200_000 });
  assert.ok(p.ok);
  assert.ok(p.objects.length > 3000, `${p.objects.length} objects`);
  assert.ok(p.sentences > 1000);
  const last = p.tokens[p.tokens.length - 1];
  assert.ok(last.end <= big.length);
});

test('emoji, CJK, RTL and mixed scripts parse without crashing, spans stay inside the text', () => {
  const texts = [
    '🐶🐱🐭 🎉🎉',
    'A dog 🐶 plays with a red ball 🔴 in the park.',
    '一只猫坐在红色的椅子上。',
    '公園で犬が赤いボールで遊んでいる',
    'قطة تجلس على كرسي أحمر',
    'כלב משחק בכדור אדום בפארק',
    'A cat sits on a chair. قطة تجلس. 猫が座っている。',
    '\u202EA man rides a horse.\u202C',
    'Ａ　ｆｕｌｌｗｉｄｔｈ　ｃａｔ．',
  ];
  for (const t of texts) {
    const p = parseText(t);
    assert.ok(p.ok, t);
    for (const tok of p.tokens) {
      assert.ok(tok.start >= 0 && tok.end <= t.length && tok.start <= tok.end, `${t}: span ${tok.start}-${tok.end}`);
    }
    const v = judgeText({ text: t, granularity: 'brief' }, cfg);
    assert.ok(v.decision.keep || v.decision.reason.length > 0);
  }
  const mixed = parseText('A dog 🐶 plays with a red ball 🔴 in the park.');
  assert.ok(mixed.ok);
  assert.deepEqual(
    mixed.objects.map((o) => o.text),
    ['dog', 'ball', 'park'],
  );
});

test('control characters are replaced by spaces, counted, and offsets still index the input', () => {
  const t = 'A red\u0000 car\u0007 is parked\u001b on the street.\u007f';
  const p = parseText(t);
  assert.ok(p.ok);
  assert.equal(p.controlCharacters, 4);
  assert.deepEqual(
    p.objects.map((o) => t.slice(o.start, o.end)),
    ['car', 'street'],
  );
  assert.deepEqual(
    p.actions.map((a) => a.text),
    ['parked'],
  );
  const lone = parseText('A cat \uD800 on a mat.');
  assert.ok(lone.ok && lone.controlCharacters === 1);
});

test('fuzz: random word salads and character soups always give a tree or a reason', () => {
  let seed = 99;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const vocab = [
    'the',
    'a',
    'red',
    'dog',
    'is',
    'are',
    'running',
    'on',
    'and',
    ',',
    '.',
    "'s",
    'there',
    'that',
    'to',
    'be',
    'of',
    'in front of',
    'next to',
    'has',
    'very',
    'Paris',
    'it',
    'while',
    'not',
    '-',
    'black-and-white',
    '!',
    '?',
    '"',
    '(',
    ')',
    '42',
    'standing',
    'painted',
    'and and',
    'The',
    'A',
  ];
  const chars = 'abcXYZ .,;:!?-\'"()[]{}0123456789\t\n猫🙂ש\u0000\u200b';
  for (let k = 0; k < 300; k++) {
    const text =
      k % 2
        ? Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => vocab[Math.floor(rnd() * vocab.length)]).join(' ')
        : Array.from({ length: Math.floor(rnd() * 80) }, () => chars[Math.floor(rnd() * chars.length)]).join('');
    const p = parseText(text);
    if (!p.ok) {
      assert.ok(p.reason.length > 0);
      continue;
    }
    const n = p.tokens.length;
    for (let i = 0; i < n; i++) {
      let j = i;
      let steps = 0;
      while (p.heads[j] >= 0) {
        j = p.heads[j];
        assert.ok(++steps <= n, `cycle in ${JSON.stringify(text)}`);
      }
      assert.equal(p.heads[j], -1, `token without head in ${JSON.stringify(text)}`);
      assert.ok(p.tokens[i].start >= 0 && p.tokens[i].end <= text.length);
    }
    for (const o of p.objects) assert.ok(o.degree >= 0 && Number.isFinite(p.objectComplexity));
  }
});
