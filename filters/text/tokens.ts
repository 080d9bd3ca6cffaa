import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { Int32Scratch } from './scratch.ts';
import { isSpace, lowerSentenceStarts, spaceFinalDots } from './wink-input.ts';

/** Universal POS tags as wink-nlp emits them (plus our corrections, see tags.ts). */
export type Pos =
  | 'ADJ'
  | 'ADP'
  | 'ADV'
  | 'AUX'
  | 'CCONJ'
  | 'DET'
  | 'INTJ'
  | 'NOUN'
  | 'NUM'
  | 'PART'
  | 'PRON'
  | 'PROPN'
  | 'PUNCT'
  | 'SCONJ'
  | 'SYM'
  | 'VERB'
  | 'X'
  | 'SPACE';

export interface Token {
  /** Index in the text's token list. */
  i: number;
  text: string;
  lower: string;
  pos: Pos;
  /** wink-nlp's tag before our corrections (kept so a correction can be audited). */
  winkPos: Pos;
  /**
   * wink-nlp's lemma, lower case ("horses" -> "horse", "ran" -> "run"), only when asked for
   * (`tokenize(text, true)`, `parseText(text, { lemmas: true })`): it costs about an eighth of the
   * parse's time and no rule uses it (docs/decisions.md, Filters). wink-nlp picks it from its own tag
   * (winkPos) and WordNet's exception lists, so it can miss where we corrected the tag, and WordNet's
   * suffix stripping has quirks ("riding" -> "rid", since "rid" is a verb too).
   */
  lemma?: string;
  /** [start, end) character offsets in the original text. */
  start: number;
  end: number;
  /** Sentence index. */
  sent: number;
}

/** `s.startsWith(v, at)`, without the built-in's generic path (it runs once per token). */
function occursAt(s: string, v: string, at: number): boolean {
  if (at + v.length > s.length) return false;
  for (let k = 0; k < v.length; k++) if (s.charCodeAt(at + k) !== v.charCodeAt(k)) return false;
  return true;
}

/**
 * `w.toLowerCase()`, without its copy when `w` has nothing to lower (most tokens): the built-in
 * makes a new string every time, one per token.
 */
function lowerOf(w: string): string {
  for (let k = 0; k < w.length; k++) {
    const c = w.charCodeAt(k);
    if ((c >= 65 && c <= 90) || c > 127) return w.toLowerCase();
  }
  return w;
}

// One wink-nlp instance per process: loading the model costs ~100 ms, reading a doc ~microseconds.
let nlp: ReturnType<typeof winkNLP> | null = null;
/**
 * The process's wink-nlp instance (sbd + pos). Shared with anyone who needs bare wink-nlp: a second
 * winkNLP(model) instance in the same process slows both down several-fold (measured in the bench).
 */
export function winkInstance(): ReturnType<typeof winkNLP> {
  nlp ??= winkNLP(model, ['sbd', 'pos']);
  return nlp;
}

const sentenceOfScratch = new Int32Scratch();

/**
 * Tokens with POS and character offsets, sentence by sentence. Offsets are found by searching each
 * token's text forward from the previous token's end, so they index the caller's string exactly
 * (wink-nlp splits contractions but never rewrites token text).
 */
export function tokenize(text: string, withLemmas = false): { tokens: Token[]; sentences: [number, number][] } {
  const w = winkInstance();
  const its = w.its;
  // wink-nlp's tagger calls most capitalised words proper nouns, so a sentence's first word is read
  // in lower case unless the next word is capitalised too ("Serena Williams"); same length, so
  // offsets hold. And it reads "sun." / "in." at a sentence end as abbreviations (Sunday, inch),
  // so a space goes before such a final period in the copy wink-nlp reads (offsets come from
  // `lowered`, which has no inserted characters). Both rewrites are in wink-input.ts.
  const lowered = lowerSentenceStarts(text);
  const fed = spaceFinalDots(lowered);
  const doc = w.readDoc(fed);
  // one collection read three times at most: each tokens() call builds a new one
  const all = doc.tokens();
  const values = all.out() as string[];
  const tags = all.out(its.pos) as Pos[];
  // wink-nlp's typings declare its.lemma with an addons parameter that out() does not accept; it works
  const lemmas = withLemmas ? (all.out(its.lemma as never) as string[]) : null;
  const spans = doc.sentences().out(its.span) as unknown as [number, number][];
  const n = values.length;
  // Sentence of each token from wink-nlp's spans (an empty one covers nothing; a span's number only
  // tells sentences apart); a token no span covers (seen on odd input) joins the sentence before it.
  // The returned spans are rebuilt from the tokens so both always agree.
  const of = sentenceOfScratch.take(n, -1);
  for (let k = 0; k < spans.length; k++) {
    const last = spans[k][1];
    for (let i = spans[k][0]; i <= last && i < n; i++) if (of[i] < 0) of[i] = k;
  }
  const sentences: [number, number][] = [];
  let prevSpan = -2;
  // the last of `sentences`
  let current: [number, number] | null = null;
  const tokens: Token[] = [];
  let cursor = 0;
  const recased = lowered !== text;
  const loweredLength = lowered.length;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    // Expected right after its preceding spaces; else searched in a short window (the fed copy has
    // extra spaces before some periods); not found only if wink-nlp normalised the token, and then
    // its recorded spacing places it.
    let expected = cursor;
    // a plain space, and anything from ! to DEL (never white space), decided before calling isSpace
    let c = 0;
    while (
      expected < loweredLength &&
      ((c = lowered.charCodeAt(expected)) === 32 || ((c < 33 || c > 127) && isSpace(c)))
    )
      expected++;
    let start = occursAt(lowered, v, expected) ? expected : lowered.slice(cursor, expected + v.length + 16).indexOf(v);
    if (start !== expected) start = start < 0 ? Math.min(text.length, expected) : cursor + start;
    const end = Math.min(text.length, start + v.length);
    cursor = end;
    // only sentence-initial words were lower-cased for wink-nlp: slice the original just for them
    const original = recased && text.charCodeAt(start) !== lowered.charCodeAt(start) ? text.slice(start, end) : v;
    const span = of[i] < 0 ? prevSpan : of[i];
    if (span !== prevSpan || current === null) {
      current = [i, i];
      sentences.push(current);
    } else current[1] = i;
    prevSpan = span;
    const token: Token = {
      i,
      text: original,
      lower: lowerOf(original),
      pos: tags[i],
      winkPos: tags[i],
      start,
      end,
      sent: sentences.length - 1,
    };
    if (lemmas) token.lemma = lemmas[i];
    tokens.push(token);
  }
  return { tokens, sentences };
}
