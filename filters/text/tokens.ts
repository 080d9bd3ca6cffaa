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

// The tags as small integers, for the rules (a typed-array read and an integer compare per test):
// POS_NAMES[code] is the tag's name.
export const ADJ = 0;
export const ADP = 1;
export const ADV = 2;
export const AUX = 3;
export const CCONJ = 4;
export const DET = 5;
export const INTJ = 6;
export const NOUN = 7;
export const NUM = 8;
export const PART = 9;
export const PRON = 10;
export const PROPN = 11;
export const PUNCT = 12;
export const SCONJ = 13;
export const SYM = 14;
export const VERB = 15;
export const X = 16;
export const SPACE = 17;
/** A tag wink-nlp emitted that is none of the above: its name is wink-nlp's (`Words.winkTags`). */
export const OTHER_POS = 255;
/** No token there (before a sentence's first token, after its last): equal to no tag. */
export const NO_POS = 254;
export const POS_NAMES: readonly Pos[] = [
  'ADJ',
  'ADP',
  'ADV',
  'AUX',
  'CCONJ',
  'DET',
  'INTJ',
  'NOUN',
  'NUM',
  'PART',
  'PRON',
  'PROPN',
  'PUNCT',
  'SCONJ',
  'SYM',
  'VERB',
  'X',
  'SPACE',
];
/** The code of wink-nlp's tag `p`: a switch (the commonest first) costs less than a Map lookup. */
function posCode(p: string): number {
  switch (p) {
    case 'NOUN':
      return NOUN;
    case 'DET':
      return DET;
    case 'ADP':
      return ADP;
    case 'PUNCT':
      return PUNCT;
    case 'VERB':
      return VERB;
    case 'ADJ':
      return ADJ;
    case 'AUX':
      return AUX;
    case 'CCONJ':
      return CCONJ;
    case 'PRON':
      return PRON;
    case 'ADV':
      return ADV;
    case 'NUM':
      return NUM;
    case 'PROPN':
      return PROPN;
    case 'PART':
      return PART;
    case 'SCONJ':
      return SCONJ;
    case 'SPACE':
      return SPACE;
    case 'SYM':
      return SYM;
    case 'X':
      return X;
    case 'INTJ':
      return INTJ;
    default:
      return OTHER_POS;
  }
}

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
 * always allocates a new string, and a parse makes one per token.
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
/** `Words.firstOf`, reused between parses. */
const firstOfScratch = new Int32Scratch();

/**
 * A text's tokens as parallel arrays, which the tag rules, the chunker and the tree read (no object
 * per token): `Token` objects are made from them only when a caller asks (`tokenObjects`). The
 * arrays a parse returns with (directly or through its tokens) are its own; `firstOf` is a working
 * array, valid until the next parse. `texts` and `lower` are new per parse rather than reused: a
 * long-lived array holding each parse's new strings makes the minor garbage collections keep them.
 */
export interface Words {
  n: number;
  /** The text as given (control characters replaced), and the copy with sentence starts lower-cased. */
  text: string;
  lowered: string;
  recased: boolean;
  /** wink-nlp's token values, tags and (when asked) lemmas. */
  values: string[];
  winkTags: Pos[];
  lemmas: string[] | null;
  /** Tag codes (ADJ ... SPACE, OTHER_POS), corrected in place by tags.ts. */
  pos: number[];
  start: number[];
  end: number[];
  sent: number[];
  /** Each token's text in the given text, and that in lower case. */
  texts: string[];
  lower: string[];
  /** Sentence k is tokens [firstOf[k], firstOf[k + 1]); `sentences` of them. */
  firstOf: Int32Array;
  sentences: number;
}

/** A token's text in the given text: wink-nlp's value, except for a sentence start we lower-cased. */
function originalText(text: string, lowered: string, recased: boolean, v: string, start: number, end: number): string {
  return recased && text.charCodeAt(start) !== lowered.charCodeAt(start) ? text.slice(start, end) : v;
}

/** The name of token i's tag. */
export function posName(w: Words, i: number): Pos {
  const code = w.pos[i];
  return code === OTHER_POS ? w.winkTags[i] : POS_NAMES[code];
}

/** The `Token` objects of `words` (made now; nothing in the parse itself needs them). */
export function tokenObjects(w: Words): Token[] {
  const tokens: Token[] = [];
  const { text, lowered, recased, values, lemmas } = w;
  for (let i = 0; i < w.n; i++) {
    const start = w.start[i];
    const end = w.end[i];
    const original = originalText(text, lowered, recased, values[i], start, end);
    const token: Token = {
      i,
      text: original,
      lower: lowerOf(original),
      pos: posName(w, i),
      winkPos: w.winkTags[i],
      start,
      end,
      sent: w.sent[i],
    };
    if (lemmas) token.lemma = lemmas[i];
    tokens.push(token);
  }
  return tokens;
}

/**
 * Tokens with POS and character offsets, sentence by sentence. Offsets are found by searching each
 * token's text forward from the previous token's end, so they index the caller's string exactly
 * (wink-nlp splits contractions but never rewrites token text).
 */
export function readWords(text: string, withLemmas = false): Words {
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
  // Sentence of each token from wink-nlp's spans (empty ones skipped; a span's number only tells
  // sentences apart); a token no span covers (seen on odd input) joins the sentence before it. The
  // sentences are rebuilt from the tokens so both always agree.
  const of = sentenceOfScratch.take(n, -1);
  for (let k = 0; k < spans.length; k++) {
    const last = spans[k][1];
    for (let i = spans[k][0]; i <= last && i < n; i++) if (of[i] < 0) of[i] = k;
  }
  // plain arrays of small integers, made by push: a typed array of its own (or a view of a shared
  // buffer) costs more to create than these cost to fill
  const pos: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const sent: number[] = [];
  const texts: string[] = [];
  const lower: string[] = [];
  const firstOf = firstOfScratch.take(n + 1, 0);
  let sentences = 0;
  let prevSpan = -2;
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
    const original = originalText(text, lowered, recased, v, start, end);
    const span = of[i] < 0 ? prevSpan : of[i];
    if (span !== prevSpan || sentences === 0) firstOf[sentences++] = i;
    prevSpan = span;
    starts.push(start);
    ends.push(end);
    sent.push(sentences - 1);
    texts.push(original);
    lower.push(lowerOf(original));
    pos.push(posCode(tags[i]));
  }
  firstOf[sentences] = n;
  return {
    n,
    text,
    lowered,
    recased,
    values,
    winkTags: tags,
    lemmas,
    pos,
    start: starts,
    end: ends,
    sent,
    texts,
    lower,
    firstOf,
    sentences,
  };
}
