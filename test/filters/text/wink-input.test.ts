// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lowerSentenceStarts, spaceFinalDots } from '../../../filters/text/wink-input.ts';
import { parseText } from '../../../filters/text/parse.ts';

// the expressions the scans stand for (wink-input.ts)
const SENTENCE_START = /(^\s*|[.!?]["')\]]?\s+)([A-Z][a-z]+)(?=[\s,;:]+[^A-Z\s])/g;
const FINAL_DOT = /(\b[a-z]{2,})\.(?=\s+["'(]?[A-Z]|\s*$)/g;
const lowerFirst = (_m: string, pre: string, word: string) => pre + word[0].toLowerCase() + word.slice(1);

test('the two rewrites give what their regular expressions give, on random texts', () => {
  let seed = 3;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  // letters of both cases, every space, the punctuation and quotes the expressions name, word characters
  const pieces = ['a', 'z', 'A', 'Z', 'Th', 'he', 'The', ' ', '  ', '\n', '\t', '\u00a0', '\u3000', '\ufeff', '.'];
  pieces.push('.', '!', '?', '"', "'", ')', ']', '(', ',', ';', ':', '_', '1', 'é', 'É', 'x.', 'Ab.', '-');
  for (let k = 0; k < 100_000; k++) {
    let t = '';
    for (let i = Math.floor(rnd() * 16); i > 0; i--) t += pieces[Math.floor(rnd() * pieces.length)];
    const lowered = t.replace(SENTENCE_START, lowerFirst);
    assert.equal(lowerSentenceStarts(t), lowered, JSON.stringify(t));
    assert.equal(spaceFinalDots(lowered), lowered.replace(FINAL_DOT, '$1 .'), JSON.stringify(lowered));
  }
  assert.equal(
    lowerSentenceStarts('The dog. Serena Williams plays." Two cats sit.'),
    'the dog. Serena Williams plays." two cats sit.',
  );
  assert.equal(spaceFinalDots('under the sun. A cat in.'), 'under the sun . A cat in .');
});

test('a parse is the same whatever was parsed before it (working arrays are reused between parses)', () => {
  const short = 'A red car is parked next to the old building.';
  const long = Array.from(
    { length: 40 },
    (_, k) => `The ${k % 2 ? 'dog' : 'cat'}'s small toy lies on the table, and two men are walking.`,
  ).join(' ');
  const first = parseText(short);
  const kept = parseText(long);
  const again = parseText(short);
  assert.ok(first.ok && kept.ok && again.ok);
  assert.deepEqual(again, first);
  // what one parse returns is its own: later parses do not change it
  const heads = Array.from(kept.heads);
  for (let k = 0; k < 200; k++) parseText(k % 2 ? short : long);
  assert.deepEqual(Array.from(kept.heads), heads);
});
