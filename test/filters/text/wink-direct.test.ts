// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readsWinkDirectly, tokenize } from '../../../filters/text/tokens.ts';
import { loadLabelled } from './labelled.ts';

/**
 * The parse reads wink-nlp's document data directly (an accessor registered in wink-nlp's internal
 * list, checked once against `out()`), and falls back to `out()` when that check fails. Both reads
 * must give the same tokens, tags, offsets, lemmas and sentences; and the direct one must be the one
 * in use with the pinned wink-nlp, or an upgrade would slow the parse down without a word.
 */
const odd = [
  '',
  '   ',
  "U.S.A. is big. Mr. Smith's dog can't swim... ok?",
  'Café naïve — "quoted" text, 3 red cars; the 2nd one is NOT red!',
  'A cat.\r\nA dog.\rA bird',
  'no final stop and trailing spaces   ',
  'THE SIGN READS "OPEN 24/7" ABOVE A DOOR.',
  'a photo of a 🐱 on a mat :)',
];

test('the direct read of wink-nlp is in use and gives what out() gives', () => {
  assert.equal(readsWinkDirectly(), true, 'the check against out() failed: wink-nlp changed?');
  const files = ['captions-labelled.json', 'captions-heldout.json'];
  const texts = [...files.flatMap((f) => loadLabelled(f).map((c) => c.text)), ...odd];
  assert.ok(texts.length > 60);
  for (const t of texts)
    for (const lemmas of [false, true])
      assert.deepEqual(tokenize(t, lemmas), tokenize(t, lemmas, true), JSON.stringify(t));
});
