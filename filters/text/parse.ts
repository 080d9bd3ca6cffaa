import { tokenize, type Token } from './tokens.ts';
import { isSpace } from './wink-input.ts';
import { correctTags } from './tags.ts';
import { buildTree } from './tree.ts';
import type { Chunk } from './chunks.ts';
import { Int32Scratch, Uint8Scratch } from './scratch.ts';

/**
 * Parse of one text into the paper's semantic elements (section 5.2, Table 3): objects (nouns and
 * proper nouns heading a noun chunk), attributes (adjectives and numerals modifying an object, or
 * predicated of it: "the sky is blue"), actions (verbs that are not auxiliaries) and proper nouns
 * (runs of proper-noun tokens). The complexity of a token is its degree in the parse tree taken as
 * an undirected graph (punctuation edges not counted).
 */
export interface ParsedElement {
  text: string;
  /** Token index. */
  index: number;
  start: number;
  end: number;
}
export interface ParsedNode extends ParsedElement {
  degree: number;
}
export interface ParsedAttribute extends ParsedElement {
  /** Token index of the object it describes. */
  of: number;
}
export interface ParsedAction extends ParsedNode {
  /** The verb heads a nominal subject (DiHT's "action" count). */
  hasSubject: boolean;
}

export interface Parse {
  ok: true;
  tokens: Token[];
  heads: Int32Array;
  rels: string[];
  chunks: Chunk[];
  sentences: number;
  words: number;
  objects: ParsedNode[];
  attributes: ParsedAttribute[];
  actions: ParsedAction[];
  properNouns: ParsedElement[];
  objectComplexity: number;
  actionComplexity: number;
  /** Largest number of (non-punctuation) children of any token: DiHT's complexity. */
  maxOutDegree: number;
  actionsWithSubject: number;
  /** Control characters replaced by spaces before parsing (offsets unchanged). */
  controlCharacters: number;
}

export type ParseRejectReason = 'not_text' | 'empty' | 'whitespace_only' | 'too_long';
export interface ParseRejection {
  ok: false;
  reason: ParseRejectReason;
  detail: string;
}

export interface ParseOptions {
  /** Texts longer than this (UTF-16 code units) are rejected, not parsed. */
  maxChars?: number;
  /** Give every token its lemma (`Token.lemma`); off by default, since no rule needs it. */
  lemmas?: boolean;
}

export const DEFAULT_MAX_CHARS = 20_000;
// C0 controls except tab / newline / carriage return, DEL and C1 controls; the bidirectional
// formatting marks (U+061C, U+200E/F, U+202A-E, U+2066-9: an override such as U+202E makes a text
// display other than it reads); lone surrogates too, since they are not text. Each becomes one space
// so that offsets still index the input (a grounding's span stays valid on the cleaned text).
const CONTROL =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Module-level helpers rather than closures: tsx (esbuild keepNames) wraps every closure it creates.
function degreeOf(children: Int32Array, heads: Int32Array, rels: string[], i: number): number {
  return children[i] + (heads[i] >= 0 && rels[i] !== 'punct' ? 1 : 0);
}

/** The nominal subject of a verb, looking through conjoined and xcomp verbs ("is standing and holding"). */
function subjectOf(nsubj: Int32Array, heads: Int32Array, rels: string[], verb: number): number {
  let v = verb;
  for (let hop = 0; hop < 4 && v >= 0; hop++) {
    if (nsubj[v] >= 0) return nsubj[v];
    if (rels[v] !== 'conj' && rels[v] !== 'xcomp') break;
    v = heads[v];
  }
  return -1;
}

function avg(xs: { degree: number }[]): number {
  let sum = 0;
  for (const x of xs) sum += x.degree;
  return xs.length ? sum / xs.length : 0;
}

/** Anything outside printable ASCII: a regular-expression test of a text, quicker than a loop over it. */
const NOT_PRINTABLE_ASCII = /[^ -~]/;

/** A fast scan for what CONTROL matches (most texts have none, and the regex is slower). */
function hasControl(text: string): boolean {
  // most texts are printable ASCII only, and then there is nothing to look at one character at a time
  if (!NOT_PRINTABLE_ASCII.test(text)) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // printable ASCII, most characters, first
    if (c >= 0x20 && c < 0x7f) continue;
    if (
      c < 0x20
        ? c !== 9 && c !== 10 && c !== 13
        : (c >= 0x7f && c <= 0x9f) ||
          (c >= 0xd800 && c <= 0xdfff) ||
          c === 0x61c ||
          c === 0x200e ||
          c === 0x200f ||
          (c >= 0x202a && c <= 0x202e) ||
          (c >= 0x2066 && c <= 0x2069)
    )
      return true;
  }
  return false;
}

/** Whether `text.trim()` would be empty (white space is the same set for both), without the copy. */
function allSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isSpace(text.charCodeAt(i))) return false;
  return true;
}

/** The text with every control character (CONTROL) replaced by one space, and how many there were. */
export function withoutControlCharacters(text: string): { text: string; replaced: number } {
  if (!hasControl(text)) return { text, replaced: 0 };
  const clean = text.replace(CONTROL, ' ');
  let replaced = 0;
  for (let i = 0; i < text.length; i++) if (clean.charCodeAt(i) !== text.charCodeAt(i)) replaced++;
  return { text: clean, replaced };
}

const childrenScratch = new Int32Scratch();
const nsubjScratch = new Int32Scratch();
const objectScratch = new Uint8Scratch();

export function parseText(text: unknown, options: ParseOptions = {}): Parse | ParseRejection {
  if (typeof text !== 'string')
    return { ok: false, reason: 'not_text', detail: `expected a string, got ${text === null ? 'null' : typeof text}` };
  if (text.length === 0) return { ok: false, reason: 'empty', detail: 'the text is empty' };
  const max = options.maxChars ?? DEFAULT_MAX_CHARS;
  if (text.length > max)
    return { ok: false, reason: 'too_long', detail: `${text.length} characters, more than the limit of ${max}` };
  const { text: clean, replaced: controlCharacters } = withoutControlCharacters(text);
  if (allSpace(clean))
    return { ok: false, reason: 'whitespace_only', detail: 'the text has only whitespace or control characters' };

  const { tokens: all, sentences: spans } = tokenize(clean, options.lemmas === true);
  // wink-nlp emits whitespace runs as SPACE tokens; the tree ignores them.
  correctTags(all);
  const { heads, rels, chunks } = buildTree(all, spans);
  const tokens = all;
  const n = tokens.length;
  // children of each token (punctuation not counted) and the nominal subject of each head, one pass
  const children = childrenScratch.take(n, 0);
  const nsubj = nsubjScratch.take(n, -1);
  for (let k = 0; k < n; k++) {
    const h = heads[k];
    if (h < 0) continue;
    const r = rels[k];
    if (r !== 'punct') children[h]++;
    if (r === 'nsubj' && nsubj[h] < 0) nsubj[h] = k;
  }

  const objectSet = objectScratch.take(n);
  const objects: ParsedNode[] = [];
  for (const c of chunks) {
    if (c.kind !== 'noun') continue;
    objectSet[c.head] = 1;
    const t = tokens[c.head];
    objects.push({
      text: t.text,
      index: c.head,
      start: t.start,
      end: t.end,
      degree: degreeOf(children, heads, rels, c.head),
    });
  }
  // chunks come in text order, so objects do too

  // attributes, actions, proper nouns and the counts in one pass over the tokens
  const attributes: ParsedAttribute[] = [];
  const actions: ParsedAction[] = [];
  const properNouns: ParsedElement[] = [];
  let actionsWithSubject = 0;
  let maxOutDegree = 0;
  let words = 0;
  // last token of the latest proper-noun run: the tokens up to it are part of it
  let properEnd = -1;
  for (let i = 0; i < n; i++) {
    if (children[i] > maxOutDegree) maxOutDegree = children[i];
    const t = tokens[i];
    const p = t.pos;
    if (p !== 'PUNCT' && p !== 'SPACE' && p !== 'SYM') words++;
    if (p === 'ADJ' || p === 'NUM') {
      // climb through coordinated and stacked adjectives ("black and white", "light green")
      let h = i;
      for (
        let hop = 0;
        hop < 8 &&
        heads[h] >= 0 &&
        (tokens[heads[h]].pos === 'ADJ' || tokens[heads[h]].pos === 'NUM' || tokens[heads[h]].pos === 'ADV');
        hop++
      )
        h = heads[h];
      let of = -1;
      const r = rels[h];
      if ((r === 'amod' || r === 'nummod' || r === 'advmod') && heads[h] >= 0) {
        if (objectSet[heads[h]]) of = heads[h];
      } else if (r === 'acomp' && heads[h] >= 0) {
        const s = subjectOf(nsubj, heads, rels, heads[h]);
        if (s >= 0 && objectSet[s]) of = s;
      }
      if (of >= 0) attributes.push({ text: t.text, index: i, start: t.start, end: t.end, of });
    } else if (p === 'VERB') {
      const hasSubject = nsubj[i] >= 0;
      if (hasSubject) actionsWithSubject++;
      actions.push({
        text: t.text,
        index: i,
        start: t.start,
        end: t.end,
        degree: degreeOf(children, heads, rels, i),
        hasSubject,
      });
    } else if (p === 'PROPN' && i > properEnd) {
      let j = i;
      while (
        j + 1 < n &&
        tokens[j + 1].sent === t.sent &&
        (tokens[j + 1].pos === 'PROPN' ||
          (tokens[j + 1].text === '-' &&
            j + 2 < n &&
            tokens[j + 2].pos === 'PROPN' &&
            tokens[j + 1].start === tokens[j].end))
      )
        j++;
      properNouns.push({
        text: clean.slice(t.start, tokens[j].end),
        index: i,
        start: t.start,
        end: tokens[j].end,
      });
      properEnd = j;
    }
  }

  return {
    ok: true,
    tokens,
    heads,
    rels,
    chunks,
    sentences: spans.length,
    words,
    objects,
    attributes,
    actions,
    properNouns,
    objectComplexity: avg(objects),
    actionComplexity: avg(actions),
    maxOutDegree,
    actionsWithSubject,
    controlCharacters,
  };
}
