import type { Token } from './tokens.ts';

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

function glued(tokens: Token[], i: number): boolean {
  // A hyphen inside a word ("black-and-white", "light-colored").
  const t = tokens[i];
  const p = tokens[i - 1];
  const n = tokens[i + 1];
  return (
    t.text === '-' && !!p && !!n && p.end === t.start && n.start === t.end && p.sent === t.sent && n.sent === t.sent
  );
}

function isNominal(t: Token): boolean {
  return t.pos === 'NOUN' || t.pos === 'PROPN';
}

/**
 * Chunks of tokens [from, to) (one sentence), written to the first entries of `chunks` (a list the
 * caller reuses from sentence to sentence); how many.
 */
export function nounChunks(tokens: Token[], from: number, to: number, chunks: Chunk[]): number {
  let count = 0;
  let possessor = -1;
  let i = from;
  while (i < to) {
    const t = tokens[i];
    if (t.pos === 'PRON' && !POSSESSIVE_PRONOUNS.has(t.lower)) {
      chunks[count++] = { start: i, end: i + 1, head: i, kind: 'pronoun', possessor: -1 };
      possessor = -1;
      i++;
      continue;
    }
    const startsNp =
      t.pos === 'DET' ||
      t.pos === 'PRON' ||
      t.pos === 'ADJ' ||
      t.pos === 'NUM' ||
      isNominal(t) ||
      (t.pos === 'ADV' && i + 1 < to && tokens[i + 1].pos === 'ADJ');
    if (!startsNp) {
      possessor = -1;
      i++;
      continue;
    }
    let j = i;
    let lastNoun = -1;
    let splitAt = -1;
    while (j < to) {
      const x = tokens[j];
      if (x.pos === 'DET' || (x.pos === 'PRON' && POSSESSIVE_PRONOUNS.has(x.lower))) {
        // a determiner only at the start, or after a predeterminer ("all the")
        if (!(j === i || (j === i + 1 && PREDETERMINERS.has(tokens[i].lower)))) break;
      } else if (x.pos === 'ADJ' || x.pos === 'NUM') {
        // A numeral or adjective after the head starts something else ("Exit 94", "the sky blue").
        if (lastNoun >= 0 && lastNoun === j - 1) break;
      } else if (isNominal(x)) {
        lastNoun = j;
      } else if (x.pos === 'ADV') {
        if (!(j + 1 < to && (tokens[j + 1].pos === 'ADJ' || tokens[j + 1].pos === 'ADV'))) break;
      } else if (x.pos === 'CCONJ') {
        // Only coordinated adjectives stay inside ("a black and white floor").
        let p = j - 1;
        while (p > i && tokens[p].text === '-') p--;
        let q = j + 1;
        while (q < to && tokens[q].text === '-') q++;
        if (!(p >= i && tokens[p].pos === 'ADJ' && q < to && (tokens[q].pos === 'ADJ' || tokens[q].pos === 'ADV')))
          break;
      } else if (x.text === '-' && glued(tokens, j)) {
        // part of a hyphenated word
      } else if (x.pos === 'PART' && (x.lower === "'s" || x.lower === "'" || x.lower === '’s') && lastNoun === j - 1) {
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
    chunks[count++] = { start: i, end, head: lastNoun, kind: 'noun', possessor };
    possessor = splitAt >= 0 ? lastNoun : -1;
    i = end;
  }
  return count;
}
