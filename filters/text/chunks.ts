import { ADJ, ADV, CCONJ, DET, NOUN, NUM, PART, PRON, PROPN, type Words } from './tokens.ts';

/**
 * Noun chunker over POS tags (wink-nlp has none). A chunk is a maximal run of determiners,
 * possessive pronouns, adjectives, numerals, degree adverbs and nouns that ends in a noun or
 * proper noun; its head is that last noun. Possessives split it ("the dog's toy" -> "the dog's",
 * "toy") and link the two. A lone pronoun is a pronoun chunk (a subject, never an object).
 */
export interface Chunk {
  /** [start, end) token indexes. */
  start: number;
  end: number;
  head: number;
  kind: 'noun' | 'pronoun';
  /** Head of the possessor chunk ("dog" for "toy" in "the dog's toy"), or -1. */
  possessor: number;
}

export const POSSESSIVE_PRONOUNS = new Set(['my', 'your', 'his', 'her', 'its', 'our', 'their', 'whose']);
const PREDETERMINERS = new Set(['all', 'both', 'half']);

function glued(w: Words, i: number): boolean {
  // A hyphen inside a word ("black-and-white", "light-colored").
  return (
    w.texts[i] === '-' &&
    i > 0 &&
    i + 1 < w.n &&
    w.end[i - 1] === w.start[i] &&
    w.start[i + 1] === w.end[i] &&
    w.sent[i - 1] === w.sent[i] &&
    w.sent[i + 1] === w.sent[i]
  );
}

function isNominal(p: number): boolean {
  return p === NOUN || p === PROPN;
}

/** Chunks of tokens [from, to) (one sentence), appended to `chunks`; how many. */
export function nounChunks(w: Words, from: number, to: number, chunks: Chunk[]): number {
  const P = w.pos;
  const L = w.lower;
  const X = w.texts;
  const before = chunks.length;
  let possessor = -1;
  let i = from;
  while (i < to) {
    const p = P[i];
    if (p === PRON && !POSSESSIVE_PRONOUNS.has(L[i])) {
      chunks.push({ start: i, end: i + 1, head: i, kind: 'pronoun', possessor: -1 });
      possessor = -1;
      i++;
      continue;
    }
    const startsNp =
      p === DET ||
      p === PRON ||
      p === ADJ ||
      p === NUM ||
      isNominal(p) ||
      (p === ADV && i + 1 < to && P[i + 1] === ADJ);
    if (!startsNp) {
      possessor = -1;
      i++;
      continue;
    }
    let j = i;
    let lastNoun = -1;
    let splitAt = -1;
    while (j < to) {
      const x = P[j];
      if (x === DET || (x === PRON && POSSESSIVE_PRONOUNS.has(L[j]))) {
        // a determiner only at the start, or after a predeterminer ("all the")
        if (!(j === i || (j === i + 1 && PREDETERMINERS.has(L[i])))) break;
      } else if (x === ADJ || x === NUM) {
        // A numeral or adjective after the head starts something else ("Exit 94", "the sky blue").
        if (lastNoun >= 0 && lastNoun === j - 1) break;
      } else if (isNominal(x)) {
        lastNoun = j;
      } else if (x === ADV) {
        if (!(j + 1 < to && (P[j + 1] === ADJ || P[j + 1] === ADV))) break;
      } else if (x === CCONJ) {
        // Only coordinated adjectives stay inside ("a black and white floor").
        let q0 = j - 1;
        while (q0 > i && X[q0] === '-') q0--;
        let q = j + 1;
        while (q < to && X[q] === '-') q++;
        if (!(q0 >= i && P[q0] === ADJ && q < to && (P[q] === ADJ || P[q] === ADV))) break;
      } else if (X[j] === '-' && glued(w, j)) {
        // part of a hyphenated word
      } else if (x === PART && (L[j] === "'s" || L[j] === "'" || L[j] === '’s') && lastNoun === j - 1) {
        splitAt = j;
        break;
      } else break;
      j++;
    }
    if (lastNoun < 0) {
      possessor = -1;
      i = Math.max(j, i + 1);
      continue;
    }
    const end = splitAt >= 0 ? splitAt + 1 : lastNoun + 1;
    chunks.push({ start: i, end, head: lastNoun, kind: 'noun', possessor });
    possessor = splitAt >= 0 ? lastNoun : -1;
    i = end;
  }
  return chunks.length - before;
}
