import { tokenize, type Token } from './tokens.ts';
import { correctTags } from './tags.ts';
import { buildTree } from './tree.ts';
import type { Chunk } from './chunks.ts';

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
}

export const DEFAULT_MAX_CHARS = 20_000;
// C0 controls except tab / newline / carriage return, DEL and C1 controls; lone surrogates too,
// since they are not text. Each becomes one space so that offsets still index the input.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function parseText(text: unknown, options: ParseOptions = {}): Parse | ParseRejection {
  if (typeof text !== 'string') return { ok: false, reason: 'not_text', detail: `expected a string, got ${text === null ? 'null' : typeof text}` };
  if (text.length === 0) return { ok: false, reason: 'empty', detail: 'the text is empty' };
  const max = options.maxChars ?? DEFAULT_MAX_CHARS;
  if (text.length > max) return { ok: false, reason: 'too_long', detail: `${text.length} characters, more than the limit of ${max}` };
  let controlCharacters = 0;
  const clean = text.replace(CONTROL, () => { controlCharacters++; return ' '; });
  if (clean.trim().length === 0) return { ok: false, reason: 'whitespace_only', detail: 'the text has only whitespace or control characters' };

  const { tokens: all, sentences: spans } = tokenize(clean);
  // wink-nlp emits whitespace runs as SPACE tokens; the tree ignores them.
  correctTags(all);
  const { heads, rels, chunks } = buildTree(all, spans);
  const tokens = all;
  const n = tokens.length;
  const children = new Int32Array(n);
  for (let i = 0; i < n; i++) if (heads[i] >= 0 && rels[i] !== 'punct') children[heads[i]]++;
  const degree = (i: number) => children[i] + (heads[i] >= 0 && rels[i] !== 'punct' ? 1 : 0);
  let maxOutDegree = 0;
  for (let i = 0; i < n; i++) if (children[i] > maxOutDegree) maxOutDegree = children[i];

  const el = (i: number): ParsedElement => ({ text: tokens[i].text, index: i, start: tokens[i].start, end: tokens[i].end });
  const objectSet = new Set<number>();
  const objects: ParsedNode[] = [];
  for (const c of chunks) {
    if (c.kind !== 'noun') continue;
    objectSet.add(c.head);
    objects.push({ ...el(c.head), degree: degree(c.head) });
  }
  objects.sort((a, b) => a.index - b.index);

  const subjectOf = (verb: number): number => {
    let v = verb;
    for (let hop = 0; hop < 4 && v >= 0; hop++) {
      for (let k = 0; k < n; k++) if (heads[k] === v && rels[k] === 'nsubj') return k;
      if (rels[v] !== 'conj' && rels[v] !== 'xcomp') break;
      v = heads[v];
    }
    return -1;
  };
  const attributes: ParsedAttribute[] = [];
  for (let i = 0; i < n; i++) {
    const p = tokens[i].pos;
    if (p !== 'ADJ' && p !== 'NUM') continue;
    // climb through coordinated and stacked adjectives ("black and white", "light green")
    let h = i;
    for (let hop = 0; hop < 8 && heads[h] >= 0 && (tokens[heads[h]].pos === 'ADJ' || tokens[heads[h]].pos === 'NUM' || tokens[heads[h]].pos === 'ADV'); hop++) h = heads[h];
    let of = -1;
    const r = rels[h];
    if ((r === 'amod' || r === 'nummod' || r === 'advmod') && heads[h] >= 0) {
      if (objectSet.has(heads[h])) of = heads[h];
    } else if (r === 'acomp' && heads[h] >= 0) {
      const s = subjectOf(heads[h]);
      if (s >= 0 && objectSet.has(s)) of = s;
    }
    if (of >= 0) attributes.push({ ...el(i), of });
  }

  const actions: ParsedAction[] = [];
  let actionsWithSubject = 0;
  for (let i = 0; i < n; i++) {
    if (tokens[i].pos !== 'VERB') continue;
    let hasSubject = false;
    for (let k = 0; k < n && !hasSubject; k++) if (heads[k] === i && rels[k] === 'nsubj') hasSubject = true;
    if (hasSubject) actionsWithSubject++;
    actions.push({ ...el(i), degree: degree(i), hasSubject });
  }

  const properNouns: ParsedElement[] = [];
  for (let i = 0; i < n; i++) {
    if (tokens[i].pos !== 'PROPN') continue;
    let j = i;
    while (j + 1 < n && tokens[j + 1].sent === tokens[i].sent &&
      (tokens[j + 1].pos === 'PROPN' || (tokens[j + 1].text === '-' && j + 2 < n && tokens[j + 2].pos === 'PROPN' && tokens[j + 1].start === tokens[j].end))) j++;
    properNouns.push({ text: clean.slice(tokens[i].start, tokens[j].end), index: i, start: tokens[i].start, end: tokens[j].end });
    i = j;
  }

  const avg = (xs: { degree: number }[]) => (xs.length ? xs.reduce((s, x) => s + x.degree, 0) / xs.length : 0);
  let words = 0;
  for (const t of tokens) if (t.pos !== 'PUNCT' && t.pos !== 'SPACE' && t.pos !== 'SYM') words++;
  return {
    ok: true, tokens, heads, rels, chunks, sentences: spans.length, words,
    objects, attributes, actions, properNouns,
    objectComplexity: avg(objects), actionComplexity: avg(actions), maxOutDegree, actionsWithSubject, controlCharacters,
  };
}
