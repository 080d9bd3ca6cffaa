// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  nounPhrases,
  nounChunks,
  phrasesForGrounding,
  filterGroundedPhrases,
  judgePhrase,
} from '../../../filters/phrases/phrases.ts';
import { filterConfig } from '../../../filters/filter-config.ts';

const cfg = filterConfig().phrases;

test('noun phrases carry character spans that index the text', () => {
  const text = "The image shows a man in a plaid shirt holding the dog's red leash on the left side.";
  const ph = nounPhrases(text);
  assert.deepEqual(
    ph.map((p) => p.phrase),
    ['The image', 'a man', 'a plaid shirt', 'the dog', 'red leash', 'the left side'],
  );
  for (const p of ph) assert.equal(text.slice(p.span[0], p.span[1]), p.phrase);
});

test('grounding phrases drop pronouns, blacklisted heads (image, side, background, ...) with reasons', () => {
  const text =
    'The image shows a brown dog. It sits next to a red ball in the background, on the left side of the picture.';
  const r = phrasesForGrounding(text, cfg);
  assert.deepEqual(
    r.phrases.map((p) => p.phrase),
    ['a brown dog', 'a red ball'],
  );
  assert.deepEqual(
    r.dropped.map((d) => [d.phrase.phrase, d.reason]),
    [
      ['The image', 'blacklisted'],
      ['It', 'pronoun'],
      ['the background', 'blacklisted'],
      ['the left side', 'blacklisted'],
      ['the picture', 'blacklisted'],
    ],
  );
  assert.deepEqual(r.stats, {
    filter: 'phrases',
    total: 7,
    kept: 2,
    dropped: { blacklisted: 4, pronoun: 1 },
    changed: {},
  });
});

test('the blacklist is configurable and matches plural heads', () => {
  const custom = filterConfig({ phrases: { blacklist: ['dog'] } }).phrases;
  const r = phrasesForGrounding('Two dogs chase a cat in the image.', custom);
  assert.deepEqual(
    r.phrases.map((p) => p.phrase),
    ['a cat', 'the image'],
  );
  assert.deepEqual(
    r.dropped.map((d) => d.reason),
    ['blacklisted'],
  );
});

test('grounded phrases: confidence threshold, span found or checked, phrase must be in the text', () => {
  const text = 'A man rides a horse near a river and pats it.';
  const r = filterGroundedPhrases(
    text,
    [
      { phrase: 'A man', score: 0.8 },
      { phrase: 'a horse', span: [12, 19], score: 0.5 },
      { phrase: 'a river', score: 0.1 },
      { phrase: 'a zebra', score: 0.9 },
      { phrase: 'it', score: 0.9 },
      { phrase: 'a horse', span: [0, 3], score: 0.6 }, // wrong span: found again
    ],
    cfg,
  );
  assert.deepEqual(
    r.kept.map((k) => [k.phrase, k.span]),
    [
      ['A man', [0, 5]],
      ['a horse', [12, 19]],
      ['a horse', [12, 19]],
    ],
  );
  assert.deepEqual(
    r.dropped.map((d) => [d.item.phrase, d.reason]),
    [
      ['a river', 'low_confidence'],
      ['a zebra', 'phrase_not_in_text'],
      ['it', 'pronoun'],
    ],
  );
});

test('noun chunks of a brief region text, pronouns left out; null brief gives none', () => {
  assert.deepEqual(nounChunks('a black dog with a red collar sitting on it'), ['a black dog', 'a red collar']);
  assert.deepEqual(nounChunks(null), []);
  assert.deepEqual(nounChunks('   '), []);
  assert.deepEqual(judgePhrase({ phrase: 'one two three four five six seven eight nine' }, cfg).keep, false);
});
