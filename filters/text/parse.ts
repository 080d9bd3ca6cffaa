import {
  ADJ,
  ADV,
  NUM,
  PROPN,
  PUNCT,
  SPACE,
  SYM,
  VERB,
  readWords,
  tokenObjects,
  type Token,
  type Words,
} from './tokens.ts';
import { isSpace } from './wink-input.ts';
import { correctTags } from './tags.ts';
import { buildTree } from './tree.ts';
import { REL_NAMES, R_ACOMP, R_ADVMOD, R_AMOD, R_CONJ, R_NSUBJ, R_NUMMOD, R_PUNCT, R_XCOMP } from './units.ts';
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
function degreeOf(children: Int32Array, heads: Int32Array, rels: number[], i: number): number {
  return children[i] + (heads[i] >= 0 && rels[i] !== R_PUNCT ? 1 : 0);
}

/** The nominal subject of a verb, looking through conjoined and xcomp verbs ("is standing and holding"). */
function subjectOf(nsubj: Int32Array, heads: Int32Array, rels: number[], verb: number): number {
  let v = verb;
  for (let hop = 0; hop < 4 && v >= 0; hop++) {
    if (nsubj[v] >= 0) return nsubj[v];
    if (rels[v] !== R_CONJ && rels[v] !== R_XCOMP) break;
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

  const w = readWords(clean, options.lemmas === true);
  // wink-nlp emits whitespace runs as SPACE tokens; the tree ignores them.
  correctTags(w);
  const { heads, rels, chunks } = buildTree(w);
  const n = w.n;
  const P = w.pos;
  const X = w.texts;
  const S = w.sent;
  const starts = w.start;
  const ends = w.end;
  // children of each token (punctuation not counted) and the nominal subject of each head, one pass
  const children = childrenScratch.take(n, 0);
  const nsubj = nsubjScratch.take(n, -1);
  for (let k = 0; k < n; k++) {
    const h = heads[k];
    if (h < 0) continue;
    const r = rels[k];
    if (r !== R_PUNCT) children[h]++;
    if (r === R_NSUBJ && nsubj[h] < 0) nsubj[h] = k;
  }

  const objectSet = objectScratch.take(n);
  const objects: ParsedNode[] = [];
  for (const c of chunks) {
    if (c.kind !== 'noun') continue;
    const h = c.head;
    objectSet[h] = 1;
    objects.push({ text: X[h], index: h, start: starts[h], end: ends[h], degree: degreeOf(children, heads, rels, h) });
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
    const p = P[i];
    if (p !== PUNCT && p !== SPACE && p !== SYM) words++;
    if (p === ADJ || p === NUM) {
      // climb through coordinated and stacked adjectives ("black and white", "light green")
      let h = i;
      for (let hop = 0; hop < 8 && heads[h] >= 0; hop++) {
        const hp = P[heads[h]];
        if (hp !== ADJ && hp !== NUM && hp !== ADV) break;
        h = heads[h];
      }
      let of = -1;
      const r = rels[h];
      if ((r === R_AMOD || r === R_NUMMOD || r === R_ADVMOD) && heads[h] >= 0) {
        if (objectSet[heads[h]]) of = heads[h];
      } else if (r === R_ACOMP && heads[h] >= 0) {
        const s = subjectOf(nsubj, heads, rels, heads[h]);
        if (s >= 0 && objectSet[s]) of = s;
      }
      if (of >= 0) attributes.push({ text: X[i], index: i, start: starts[i], end: ends[i], of });
    } else if (p === VERB) {
      const hasSubject = nsubj[i] >= 0;
      if (hasSubject) actionsWithSubject++;
      actions.push({
        text: X[i],
        index: i,
        start: starts[i],
        end: ends[i],
        degree: degreeOf(children, heads, rels, i),
        hasSubject,
      });
    } else if (p === PROPN && i > properEnd) {
      let j = i;
      while (
        j + 1 < n &&
        S[j + 1] === S[i] &&
        (P[j + 1] === PROPN || (X[j + 1] === '-' && j + 2 < n && P[j + 2] === PROPN && starts[j + 1] === ends[j]))
      )
        j++;
      properNouns.push({
        text: clean.slice(starts[i], ends[j]),
        index: i,
        start: starts[i],
        end: ends[j],
      });
      properEnd = j;
    }
  }

  return new ParseResult(
    w,
    heads,
    rels,
    chunks,
    words,
    objects,
    attributes,
    actions,
    properNouns,
    maxOutDegree,
    actionsWithSubject,
    controlCharacters,
  );
}

/**
 * A parse. Its `Token` objects and relation names are made when first asked for (the rules read
 * neither; they cost a sixth of the parse): `tokens` and `rels` are getters, and JSON gets them
 * through `toJSON`, in the order of the fields of `Parse`.
 */
class ParseResult implements Parse {
  readonly ok = true as const;
  readonly heads: Int32Array;
  readonly chunks: Chunk[];
  readonly sentences: number;
  readonly words: number;
  readonly objects: ParsedNode[];
  readonly attributes: ParsedAttribute[];
  readonly actions: ParsedAction[];
  readonly properNouns: ParsedElement[];
  readonly objectComplexity: number;
  readonly actionComplexity: number;
  readonly maxOutDegree: number;
  readonly actionsWithSubject: number;
  readonly controlCharacters: number;
  #words: Words;
  #relCodes: number[];
  #tokens: Token[] | null = null;
  #rels: string[] | null = null;

  constructor(
    w: Words,
    heads: Int32Array,
    rels: number[],
    chunks: Chunk[],
    words: number,
    objects: ParsedNode[],
    attributes: ParsedAttribute[],
    actions: ParsedAction[],
    properNouns: ParsedElement[],
    maxOutDegree: number,
    actionsWithSubject: number,
    controlCharacters: number,
  ) {
    this.heads = heads;
    this.chunks = chunks;
    this.sentences = w.sentences;
    this.words = words;
    this.objects = objects;
    this.attributes = attributes;
    this.actions = actions;
    this.properNouns = properNouns;
    this.objectComplexity = avg(objects);
    this.actionComplexity = avg(actions);
    this.maxOutDegree = maxOutDegree;
    this.actionsWithSubject = actionsWithSubject;
    this.controlCharacters = controlCharacters;
    this.#words = w;
    this.#relCodes = rels;
  }

  get tokens(): Token[] {
    return (this.#tokens ??= tokenObjects(this.#words));
  }

  get rels(): string[] {
    if (this.#rels === null) {
      const codes = this.#relCodes;
      const names: string[] = [];
      for (let k = 0; k < codes.length; k++) names.push(REL_NAMES[codes[k]]);
      this.#rels = names;
    }
    return this.#rels;
  }

  toJSON(): object {
    return {
      ok: this.ok,
      tokens: this.tokens,
      heads: this.heads,
      rels: this.rels,
      chunks: this.chunks,
      sentences: this.sentences,
      words: this.words,
      objects: this.objects,
      attributes: this.attributes,
      actions: this.actions,
      properNouns: this.properNouns,
      objectComplexity: this.objectComplexity,
      actionComplexity: this.actionComplexity,
      maxOutDegree: this.maxOutDegree,
      actionsWithSubject: this.actionsWithSubject,
      controlCharacters: this.controlCharacters,
    };
  }
}
