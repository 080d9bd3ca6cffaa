// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareWithWinkSteps, OWN_STEP_PROBES, tagsItself, tokenize } from '../../../filters/text/tokens.ts';
import { loadLabelled } from './labelled.ts';

/**
 * The parse finds sentence boundaries and tags itself (sentence-bounds.ts, pos-tagger.ts) with
 * wink-nlp's SBD and POS steps off. On every text its sentences and tags must equal those wink-nlp's
 * steps set on the same tokens: captions, the probes, and seeded random texts built from the pieces
 * wink-nlp's SBD machine reacts to (abbreviations, initials, quotes, brackets, ellipses, runs of marks,
 * line feeds, numbers) and words whose tag depends on their neighbours (the POS machines' patterns).
 */
const WORDS = [
  ...['a', 'dog', 'The', 'cat', 'sits', 'on', 'table', 'red', 'Two', 'It', 'he', 'New', 'York', 'is', 'near'],
  ...['watch', 'runs', 'play', 'light', 'that', 'her', 'saw', 'can', 'will', 'be', 'been', 'painted', 'running'],
  ...['Serena', 'Williams', 'very', 'quickly', 'and', 'or', 'but', 'to', 'of', 'with', 'while', 'left', 'back'],
];
const PIECES = [
  '.',
  '.',
  '!',
  '?',
  '?!',
  '...',
  '…',
  ',',
  ';',
  ':',
  '"',
  "'",
  '(',
  ')',
  '[',
  ']',
  '“',
  '”',
  '‘',
  '’',
  'Dr.',
  'Mr.',
  'Mrs.',
  'St.',
  'U.S.',
  'e.g.',
  'i.e.',
  'etc.',
  'Jan.',
  'p.m.',
  'a.m.',
  'No.',
  'vs.',
  'Inc.',
  'J.',
  'K.',
  'A.',
  'x.',
  '3.5',
  '10:30',
  '1.',
  '2)',
  '\n',
  '\n\n',
  '\r\n',
  '  ',
  ' - ',
  '--',
  ':)',
  'www.x.com',
  "can't",
  "it's",
  "o'clock",
  '!!!',
  '??',
  '. .',
  '."',
  '.)',
  '?"',
  "!'",
  '.”',
];
let seed = 20261206;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
function randomText(): string {
  const parts: string[] = [];
  const n = 3 + Math.floor(rnd() * 25);
  for (let k = 0; k < n; k++) {
    const piece = rnd() < 0.55 ? pick(WORDS) : pick(PIECES);
    parts.push(piece, rnd() < 0.8 ? ' ' : '');
  }
  return parts.join('');
}

test("the parse's own sentences and tags are in use and equal wink-nlp's", () => {
  assert.equal(
    tagsItself(),
    true,
    "the check against wink-nlp's SBD and POS steps failed: wink-nlp or its model changed?",
  );
  const texts = [
    ...OWN_STEP_PROBES,
    ...['captions-labelled.json', 'captions-heldout.json'].flatMap((f) => loadLabelled(f).map((c) => c.text)),
    ...Array.from({ length: 4000 }, randomText),
  ];
  const outcomes = texts.map((t) => compareWithWinkSteps(t));
  assert.deepEqual(
    texts.filter((_, k) => outcomes[k] === 'differs'),
    [],
  );
  // compared, not skipped: almost every text tokenizes alike on a second read
  const compared = outcomes.filter((o) => o === 'same').length;
  assert.ok(compared > texts.length * 0.95, `only ${compared} of ${texts.length} texts compared`);
  // the corpus must exercise boundaries, not only one-sentence texts
  const multi = texts.filter((t) => tokenize(t).sentences.length > 1).length;
  assert.ok(multi > texts.length / 3, `only ${multi} of ${texts.length} texts have several sentences`);
});

test('tokenize gives the same tokens, tags, lemmas and sentences with its own steps as through out()', () => {
  // each text read once before, so that wink-nlp's tokenizer has learnt its words and both reads
  // tokenize it alike; out() keeps wink-nlp's own steps on; lemmas on every other text (wink-nlp
  // derives them from the tags the parse puts into its document)
  let compared = 0;
  for (let k = 0; k < 1000; k++) {
    const t = randomText();
    const lemmas = k % 2 === 0;
    tokenize(t);
    const viaOut = tokenize(t, lemmas, true);
    const direct = tokenize(t, lemmas);
    if (viaOut.tokens.map((x) => x.text).join('|') !== direct.tokens.map((x) => x.text).join('|')) continue;
    assert.deepEqual(direct, viaOut, JSON.stringify(t));
    compared++;
  }
  assert.ok(compared > 950, `only ${compared} of 1000 texts compared`);
});
