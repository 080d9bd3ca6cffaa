import { createRequire } from 'node:module';
import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { Int32Scratch } from './scratch.ts';
import { POS_MASK, POS_SHIFT, TOKEN_SIZE, type WinkLexicon } from './wink-data.ts';
import { PosTagger } from './pos-tagger.ts';
import { SentenceBounds } from './sentence-bounds.ts';
import type { WinkMachines } from './wink-machine.ts';
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
   * (`tokenize(text, true)`, `parseText(text, { lemmas: true })`): no rule uses it, and it costs up to
   * about a sixth of the parse's time (docs/decisions.md, Filters). wink-nlp picks it from its own tag
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

/**
 * Whether `v` occurs in `s` at `at` (`s.startsWith(v, at)`, without the built-in's generic path): -1
 * if not; else 1 when `v` has something `toLowerCase` changes (A-Z, or beyond ASCII), 0 when not, so
 * that the token's lower case needs no second look at its characters (`lowerOf`'s test).
 */
function matchAt(s: string, v: string, at: number): number {
  if (at + v.length > s.length) return -1;
  let upper = 0;
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (s.charCodeAt(at + k) !== c) return -1;
    if ((c >= 65 && c <= 90) || c > 127) upper = 1;
  }
  return upper;
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

/**
 * Lower-case forms of words with capitals ("A", "Two"), by word. `toLowerCase` makes a new string
 * each time, and a new string compares with the rules' literals and hashes into their sets by its
 * characters; the lexicon's copy of the same word (where it has one) is an internalized string,
 * compared by reference. Emptied when it reaches `LOWER_MEMO_WORDS`: a worker reads millions of
 * captions, and names, brands and OCR'd words keep adding capitalised words.
 */
const lowerOfWord = new Map<string, string>();
const LOWER_MEMO_WORDS = 100_000;
function lowerOfCapitalised(v: string, lexicon: WinkDocData['cache'] | null): string {
  let lower = lowerOfWord.get(v);
  if (lower === undefined) {
    if (lowerOfWord.size >= LOWER_MEMO_WORDS) lowerOfWord.clear();
    lower = v.toLowerCase();
    const found = lexicon === null || !lexiconLookup ? null : lexicon.lookup(lower);
    if (found !== null && found.length === 1) {
      const same = (lexicon as WinkDocData['cache']).value(found[0]);
      if (same === lower) lower = same;
    }
    lowerOfWord.set(v, lower);
  }
  return lower;
}

/**
 * What wink-nlp keeps of a read document (its `rdd`, wink-nlp 2.4.0 src/wink-nlp.js): per token four
 * numbers (the lexeme's index first, the POS code in bits 20-25 of the third), the sentences as
 * [first, last, ...] token indexes, and the lexicon the indexes point into.
 */
interface WinkDocData {
  tokens: number[];
  sentences: ArrayLike<number>[];
  numOfTokens: number;
  cache: WinkLexicon & {
    valueOf(feature: string, index: number): string;
    /** The lexeme index of a word (`[index]`; a contraction's expansions; null if not in the lexicon). */
    lookup(text: string): number[] | null;
  };
  /** The instance's annotation switches (one object per instance, read by every `readDoc`). */
  currPipe?: { sbd?: boolean; pos?: boolean };
}

/**
 * Reading a token's value, tag and sentence through wink-nlp's `out()` costs about as much again as
 * the parse's own work on them (an accessor call per token and an array per property), so the parse
 * reads the document's data once, directly: an accessor of ours, registered with wink-nlp's list of
 * allowed token accessors (src/allowed.js, no public API for it), hands it over. `winkInstance` checks
 * the direct read against `out()` on a probe text and falls back to `out()` if they ever differ.
 */
let grabbed: WinkDocData | null = null;
function grabDocData(_index: number, rdd: WinkDocData): number {
  grabbed = rdd;
  return 0;
}
let direct = false;
/** Whether the lexicon has `lookup` (checked with the direct read). */
let lexiconLookup = false;
/** Whether the parse reads wink-nlp's document data directly (false: through `out()`, after a failed check). */
export function readsWinkDirectly(): boolean {
  winkInstance();
  return direct;
}
/** wink-nlp's POS tag of each code (the model's list, fixed): one array read per token instead of a call. */
const posOfCode: Pos[] = [];

// One wink-nlp instance per process: loading the model costs ~100 ms, reading a doc ~microseconds.
let nlp: ReturnType<typeof winkNLP> | null = null;
/**
 * The process's wink-nlp instance (sbd + pos). Shared with anyone who needs bare wink-nlp: a second
 * winkNLP(model) instance in the same process slows both down several-fold (measured in the bench).
 */
export function winkInstance(): ReturnType<typeof winkNLP> {
  if (nlp === null) {
    nlp = winkNLP(model, ['sbd', 'pos']);
    direct = directReadWorks(nlp);
    if (direct) ownSteps = ownStepsWork(nlp);
  }
  return nlp;
}

/**
 * When set, the parse finds sentences and tags itself (sentence-bounds.ts, pos-tagger.ts) and
 * wink-nlp's SBD and POS steps are off while the parse reads a text: the instance's switches are
 * flipped around that one `readDoc`, so anyone else reading through the shared instance still gets
 * wink-nlp's own steps.
 */
interface OwnSteps {
  bounds: SentenceBounds;
  tagger: PosTagger;
  pipe: { sbd?: boolean; pos?: boolean };
}
let ownSteps: OwnSteps | null = null;
/** Whether the parse finds sentences and tags itself (false: wink-nlp's steps, after a failed check). */
export function tagsItself(): boolean {
  winkInstance();
  return ownSteps !== null;
}

/**
 * Texts that walk every kind of boundary wink-nlp's SBD machine knows (abbreviations, initials,
 * quotes, brackets, ellipses, line feeds, runs of marks, numbers with points) and the tag patterns of
 * its POS machines (contractions, possessives, numbers, symbols, proper names, verbs and nouns of one
 * spelling); the parse's own sentences and tags must equal wink-nlp's on each before its steps are off.
 */
export const OWN_STEP_PROBES: readonly string[] = [
  "The man's dog can't swim. It sits in the U.S. near 3 red cars, doesn't it?",
  'Dr. Smith met Mr. J. K. Rowling at 5 p.m. on Jan. 3rd. They talked.',
  'A dog, e.g. a puppy, sits on a mat etc. The cat is gray.',
  'He said "stop." Then he left! Really?! Yes... maybe.',
  "She whispered 'no.' and walked away. (A bird flew by.) The end.",
  'A red car\nparked near a tree\n\nA blue bike. next to it',
  'Prices rose 3.5 percent. St. Louis is in Mo. and Washington D.C. is not.',
  'a photo of a cat on a table',
  'Two dogs!!! Three cats?? One bird . A horse ; a cow : a pig.',
  '"Hello," she said. "Is it Mon. or Tue.?" He replied, "Wed."',
  'Visit www.example.com today. Email a@b.co now. Call at 10:30 a.m. tomorrow.',
  "It's 4 o'clock. I'm here... You're there!",
  'A man riding a horse jumps over the fence while people watch and clap loudly.',
  'The building that stands behind the trees has been painted white, but its doors are red.',
  'Serena Williams plays tennis in New York; she won 23 titles & $5M in 2019 :)',
  'Close-up of a well-known brand logo #1 on a 24/7 store, 50% off, @shop',
];

/** Builds the parse's own steps and checks them against wink-nlp's on the probes (its steps on). */
function ownStepsWork(w: ReturnType<typeof winkNLP>): OwnSteps | null {
  try {
    const data = docDataOf(w.readDoc(OWN_STEP_PROBES[0]));
    const pipe = data?.currPipe;
    if (data === null || !pipe || pipe.sbd !== true || pipe.pos !== true) return null;
    const m = model as unknown as { sbd(): WinkMachines; pos(): WinkMachines };
    const own: OwnSteps = {
      bounds: new SentenceBounds(m.sbd(), data.cache),
      tagger: new PosTagger(m.pos(), data.cache),
      pipe,
    };
    for (const probe of OWN_STEP_PROBES) if (compareOwnSteps(w, probe, own) !== 'same') return null;
    return own;
  } catch {
    return null;
  }
}

/**
 * The parse's own sentences and tags against wink-nlp's on `text`: 'same', 'differs', or 'retokenized'
 * when the two reads tokenized it apart (wink-nlp's tokenizer learns new words, so a text is read once
 * before, and the two reads compared only where their tokens agree).
 */
function compareOwnSteps(
  w: ReturnType<typeof winkNLP>,
  text: string,
  own: OwnSteps,
): 'same' | 'differs' | 'retokenized' {
  w.readDoc(text);
  const a = docDataOf(readWithOwnSteps(w, text, own));
  const b = docDataOf(w.readDoc(text));
  if (a === null || b === null) return a === b ? 'same' : 'retokenized';
  const n = a.numOfTokens;
  if (b.numOfTokens !== n) return 'retokenized';
  for (let k = 0; k < n; k++)
    if (
      a.tokens[k * TOKEN_SIZE] !== b.tokens[k * TOKEN_SIZE] ||
      a.tokens[k * TOKEN_SIZE + 1] !== b.tokens[k * TOKEN_SIZE + 1]
    )
      return 'retokenized';
  const sentences = own.bounds.sentences(a.tokens, n);
  if (sentences.length !== b.sentences.length) return 'differs';
  for (let k = 0; k < sentences.length; k++)
    if (sentences[k][0] !== b.sentences[k][0] || sentences[k][1] !== b.sentences[k][1]) return 'differs';
  own.tagger.tag(a.tokens, n);
  for (let k = 0; k < n; k++)
    if (
      (a.tokens[k * TOKEN_SIZE + 2] & POS_MASK) >>> POS_SHIFT !==
      (b.tokens[k * TOKEN_SIZE + 2] & POS_MASK) >>> POS_SHIFT
    )
      return 'differs';
  return 'same';
}

/** `compareOwnSteps` on the process's instance, for the tests. */
export function compareWithWinkSteps(text: string): 'same' | 'differs' | 'retokenized' {
  const w = winkInstance();
  if (ownSteps === null) throw new Error('the parse does not find sentences and tags itself');
  return compareOwnSteps(w, text, ownSteps);
}

/** Reads `text` with wink-nlp's SBD and POS steps off. */
function readWithOwnSteps(
  w: ReturnType<typeof winkNLP>,
  text: string,
  own: OwnSteps,
): ReturnType<ReturnType<typeof winkNLP>['readDoc']> {
  own.pipe.sbd = false;
  own.pipe.pos = false;
  try {
    return w.readDoc(text);
  } finally {
    own.pipe.sbd = true;
    own.pipe.pos = true;
  }
}

/** Up to this many tokens, the accessor is called per token rather than through one token's item. */
const ACCESSOR_CALLS_PER_ITEM = 40;
/** The document data of a read document, or null (no tokens, or the direct read is off). */
function docDataOf(doc: ReturnType<ReturnType<typeof winkNLP>['readDoc']>): WinkDocData | null {
  if (!direct) return null;
  const all = doc.tokens();
  // itemAt throws on an empty collection (a text with no token) instead of answering undefined
  const n = all.length();
  if (n === 0) return null;
  // The collection's out() calls the accessor once per token; one token's out() calls it once, but
  // making that token's item costs about as much as 40 calls (a dozen closures on a dictionary-mode
  // object), so short texts go through the collection.
  if (n <= ACCESSOR_CALLS_PER_ITEM) all.out(grabDocData as never);
  else all.itemAt(0).out(grabDocData as never);
  const data = grabbed;
  grabbed = null;
  return data;
}

/** Registers the accessor and checks that reading the data directly gives what `out()` gives. */
function directReadWorks(w: ReturnType<typeof winkNLP>): boolean {
  try {
    const allowed = createRequire(import.meta.url)('wink-nlp/src/allowed.js') as { its4token?: Set<unknown> };
    if (!(allowed.its4token instanceof Set)) return false;
    allowed.its4token.add(grabDocData);
    direct = true;
    const doc = w.readDoc("The man's dog can't swim. It sits in the U.S. near 3 red cars, doesn't it?");
    const data = docDataOf(doc);
    direct = false;
    if (data === null) return false;
    const values = doc.tokens().out() as string[];
    const tags = doc.tokens().out(w.its.pos) as string[];
    const spans = doc.sentences().out(w.its.span) as unknown as [number, number][];
    for (let k = 0; k < 64; k++) posOfCode.push(data.cache.valueOf('pos', k) as Pos);
    lexiconLookup = typeof data.cache.lookup === 'function';
    if (data.numOfTokens !== values.length || data.sentences.length !== spans.length) return false;
    for (let i = 0; i < values.length; i++) {
      if (data.cache.value(data.tokens[i * TOKEN_SIZE]) !== values[i]) return false;
      if (posOfCode[(data.tokens[i * TOKEN_SIZE + 2] & POS_MASK) >>> POS_SHIFT] !== tags[i]) return false;
    }
    for (let k = 0; k < spans.length; k++)
      if (data.sentences[k][0] !== spans[k][0] || data.sentences[k][1] !== spans[k][1]) return false;
    return true;
  } catch {
    return false;
  }
}

const sentenceOfScratch = new Int32Scratch();

/** Whether the spans cover tokens 0 to n - 1 one after another, none empty, none overlapping. */
function tiles(spans: ArrayLike<ArrayLike<number>>, n: number): boolean {
  if (spans.length === 0 || spans[0][0] !== 0) return false;
  for (let k = 0; k < spans.length; k++) {
    if (spans[k][1] < spans[k][0]) return false;
    if (k > 0 && spans[k][0] !== spans[k - 1][1] + 1) return false;
  }
  return spans[spans.length - 1][1] >= n - 1;
}
/** As many nulls as the longest text so far had tokens: each text's token list starts as a slice. */
const tokenSlots: null[] = [];

/**
 * Tokens with POS and character offsets, sentence by sentence. Offsets are found by searching each
 * token's text forward from the previous token's end, so they index the caller's string exactly
 * (wink-nlp splits contractions but never rewrites token text). `viaOut` reads wink-nlp through its
 * public `out()` even when the direct read works: the fallback, which the tests hold equal to it.
 */
export function tokenize(
  text: string,
  withLemmas = false,
  viaOut = false,
): { tokens: Token[]; sentences: [number, number][] } {
  const w = winkInstance();
  const its = w.its;
  // wink-nlp's tagger calls most capitalised words proper nouns, so a sentence's first word is read
  // in lower case unless the next word is capitalised too ("Serena Williams"); same length, so
  // offsets hold. And it reads "sun." / "in." at a sentence end as abbreviations (Sunday, inch),
  // so a space goes before such a final period in the copy wink-nlp reads (offsets come from
  // `lowered`, which has no inserted characters). Both rewrites are in wink-input.ts.
  const lowered = lowerSentenceStarts(text);
  const fed = spaceFinalDots(lowered);
  const own = viaOut ? null : ownSteps;
  const doc = own === null ? w.readDoc(fed) : readWithOwnSteps(w, fed, own);
  const data = viaOut ? null : docDataOf(doc);
  // the own tags go into the document as wink-nlp's step would set them, before tags and lemmas are read
  if (own !== null && data !== null) own.tagger.tag(data.tokens, data.numOfTokens);
  // wink-nlp's typings declare its.lemma with an addons parameter that out() does not accept; it works
  const lemmas = withLemmas ? (doc.tokens().out(its.lemma as never) as string[]) : null;
  let values: string[] | null = null;
  let tags: Pos[] | null = null;
  let spans: ArrayLike<number>[];
  if (data === null) {
    // one collection read twice: each tokens() call builds a new one
    const all = doc.tokens();
    values = all.out() as string[];
    tags = all.out(its.pos) as Pos[];
    spans = doc.sentences().out(its.span) as unknown as [number, number][];
  } else spans = own === null ? data.sentences : own.bounds.sentences(data.tokens, data.numOfTokens);
  const lexemes = data === null ? null : data.tokens;
  const cache = data === null ? null : data.cache;
  const n = data === null ? (values as string[]).length : data.numOfTokens;
  // Sentence of each token from wink-nlp's spans (an empty one covers nothing; a span's number only
  // tells sentences apart); a token no span covers (seen on odd input) joins the sentence before it.
  // The returned spans are rebuilt from the tokens so both always agree. When the spans tile the
  // tokens in order (as they do but on odd input), a token's span is found by walking them beside
  // the tokens; else the first span covering each token is marked beforehand.
  const of = tiles(spans, n) ? null : sentenceOfScratch.take(n, -1);
  if (of !== null)
    for (let k = 0; k < spans.length; k++) {
      const last = spans[k][1];
      for (let i = spans[k][0]; i <= last && i < n; i++) if (of[i] < 0) of[i] = k;
    }
  let walked = 0;
  const sentences: [number, number][] = [];
  let prevSpan = -2;
  // first token and index of the sentence being read (its [first, last] is pushed when it ends)
  let sentStart = -1;
  let sent = -1;
  // a packed list of n slots, filled in order: no regrowth as tokens are added
  while (tokenSlots.length < n) tokenSlots.push(null);
  const tokens = tokenSlots.slice(0, n) as unknown as Token[];
  let cursor = 0;
  const recased = lowered !== text;
  const loweredLength = lowered.length;
  for (let i = 0; i < n; i++) {
    const v = cache === null ? (values as string[])[i] : cache.value((lexemes as ArrayLike<number>)[i * TOKEN_SIZE]);
    const pos =
      tags === null
        ? posOfCode[((lexemes as ArrayLike<number>)[i * TOKEN_SIZE + 2] & POS_MASK) >>> POS_SHIFT]
        : tags[i];
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
    const match = matchAt(lowered, v, expected);
    let start = match >= 0 ? expected : lowered.slice(cursor, expected + v.length + 16).indexOf(v);
    if (start !== expected) start = start < 0 ? Math.min(text.length, expected) : cursor + start;
    const end = Math.min(text.length, start + v.length);
    cursor = end;
    // only sentence-initial words were lower-cased for wink-nlp: slice the original just for them
    const original = recased && text.charCodeAt(start) !== lowered.charCodeAt(start) ? text.slice(start, end) : v;
    let covering: number;
    if (of === null) {
      while (spans[walked][1] < i) walked++;
      covering = walked;
    } else covering = of[i];
    const span = covering < 0 ? prevSpan : covering;
    if (span !== prevSpan || sentStart < 0) {
      if (sentStart >= 0) sentences.push([sentStart, i - 1]);
      sentStart = i;
      sent++;
    }
    prevSpan = span;
    const token: Token = {
      i,
      text: original,
      // match 0: v has nothing to lower, and a recased original differs from it only in the initial
      // that v has in lower case already
      lower:
        match < 0
          ? lowerOf(original)
          : match === 0
            ? v
            : original === v
              ? lowerOfCapitalised(v, cache)
              : lowerOf(original),
      pos,
      winkPos: pos,
      start,
      end,
      sent,
    };
    if (lemmas) token.lemma = lemmas[i];
    tokens[i] = token;
  }
  if (sentStart >= 0) sentences.push([sentStart, n - 1]);
  return { tokens, sentences };
}
