import {
  ADJ,
  ADP,
  ADV,
  AUX,
  CCONJ,
  DET,
  NOUN,
  NUM,
  PART,
  PRON,
  PROPN,
  PUNCT,
  SCONJ,
  VERB,
  type Words,
} from './tokens.ts';
import { nounChunks, type Chunk } from './chunks.ts';

/**
 * A sentence as a sequence of units: noun chunks, verb groups, and single tokens. The tree
 * (tree.ts) attaches units to each other; inside a unit the head rules are fixed here.
 */
export type UnitKind =
  | 'NP'
  | 'PRO'
  | 'VG'
  | 'ADP'
  | 'ADJP'
  | 'ADV'
  | 'CCONJ'
  | 'SCONJ'
  | 'COMMA'
  | 'PUNCT'
  | 'REL'
  | 'EXPL'
  | 'TO'
  | 'OTHER';

// Unit kinds as small integers (UNIT_KINDS[code] is the name).
export const U_NP = 0;
export const U_PRO = 1;
export const U_VG = 2;
export const U_ADP = 3;
export const U_ADJP = 4;
export const U_ADV = 5;
export const U_CCONJ = 6;
export const U_SCONJ = 7;
export const U_COMMA = 8;
export const U_PUNCT = 9;
export const U_REL = 10;
export const U_EXPL = 11;
export const U_TO = 12;
export const U_OTHER = 13;
/** No unit there (before the first): equal to no kind. */
export const U_NONE = 255;
export const UNIT_KINDS: readonly UnitKind[] = [
  'NP',
  'PRO',
  'VG',
  'ADP',
  'ADJP',
  'ADV',
  'CCONJ',
  'SCONJ',
  'COMMA',
  'PUNCT',
  'REL',
  'EXPL',
  'TO',
  'OTHER',
];

// Dependency relations as small integers (REL_NAMES[code] is the name; 0 is "not set yet").
export const R_NONE = 0;
export const R_ROOT = 1;
export const R_PUNCT = 2;
export const R_NSUBJ = 3;
export const R_CONJ = 4;
export const R_XCOMP = 5;
export const R_POSS = 6;
export const R_CASE = 7;
export const R_NMOD = 8;
export const R_OBL = 9;
export const R_CC = 10;
export const R_ATTR = 11;
export const R_OBJ = 12;
export const R_APPOS = 13;
export const R_MARK = 14;
export const R_ACL = 15;
export const R_RELCL = 16;
export const R_EXPL = 17;
export const R_ACOMP = 18;
export const R_NUMMOD = 19;
export const R_AMOD = 20;
export const R_DEP = 21;
export const R_PRT = 22;
export const R_ADVMOD = 23;
export const R_PARATAXIS = 24;
export const R_ADVCL = 25;
export const R_AUX = 26;
export const R_DET = 27;
export const R_COMPOUND = 28;
export const REL_NAMES: readonly string[] = [
  '',
  'ROOT',
  'punct',
  'nsubj',
  'conj',
  'xcomp',
  'poss',
  'case',
  'nmod',
  'obl',
  'cc',
  'attr',
  'obj',
  'appos',
  'mark',
  'acl',
  'acl:relcl',
  'expl',
  'acomp',
  'nummod',
  'amod',
  'dep',
  'prt',
  'advmod',
  'parataxis',
  'advcl',
  'aux',
  'det',
  'compound',
];

/**
 * The units of the sentence being attached, as parallel arrays (one object per unit cost more than
 * the tree's work on it): unit u is tokens [start[u], end[u]) with head token head[u]; VG: aux (has
 * an auxiliary), copula (no main verb, the head is a form of "be"); NP / PRO: its chunk. Reused from
 * one sentence to the next (typed arrays only: an old array holding each parse's new objects makes
 * the garbage collector's minor collections keep and copy them).
 */
export class Units {
  count = 0;
  kind = new Uint8Array(64);
  start = new Int32Array(64);
  end = new Int32Array(64);
  head = new Int32Array(64);
  aux = new Uint8Array(64);
  copula = new Uint8Array(64);
  /** Index of the unit's chunk in the parse's chunk list (`found`), -1 for none. */
  chunk = new Int32Array(64);

  /** Room for `n` units, none yet. */
  reset(n: number): void {
    this.count = 0;
    if (this.kind.length < n) {
      const size = Math.max(n, 2 * this.kind.length);
      this.kind = new Uint8Array(size);
      this.start = new Int32Array(size);
      this.end = new Int32Array(size);
      this.head = new Int32Array(size);
      this.aux = new Uint8Array(size);
      this.copula = new Uint8Array(size);
      this.chunk = new Int32Array(size);
    }
  }

  push(kind: number, start: number, end: number, head: number, chunk: number): number {
    const u = this.count++;
    this.kind[u] = kind;
    this.start[u] = start;
    this.end[u] = end;
    this.head[u] = head;
    this.aux[u] = 0;
    this.copula[u] = 0;
    this.chunk[u] = chunk;
    return u;
  }
}

const RELATIVE = new Set(['that', 'which', 'who', 'whom']);
export const NEGATION = new Set(['not', "n't", 'never']);

/** Sets `heads`/`rels` for the tokens inside unit u (all but the unit head). */
function attachInside(U: Units, u: number, w: Words, heads: Int32Array, rels: number[]): void {
  const P = w.pos;
  const X = w.texts;
  const h = U.head[u];
  const kind = U.kind[u];
  const from = U.start[u];
  const to = U.end[u];
  for (let k = from; k < to; k++) {
    if (k === h) continue;
    const p = P[k];
    let head = h;
    let rel = R_DEP;
    if (kind === U_VG) {
      rel = p === AUX ? R_AUX : p === PART ? (NEGATION.has(w.lower[k]) ? R_ADVMOD : R_MARK) : R_ADVMOD;
    } else if (kind === U_ADJP) {
      rel = R_ADVMOD;
    } else {
      if (p === DET || p === PRON) rel = R_DET;
      else if (p === NUM) rel = R_NUMMOD;
      else if (p === ADJ || p === VERB) {
        rel = R_AMOD;
        // second of two coordinated adjectives: conj of the first
        let q0 = k - 1;
        while (q0 > from && X[q0] === '-') q0--;
        if (q0 > from && P[q0] === CCONJ) {
          let q = q0 - 1;
          while (q > from && X[q] === '-') q--;
          if (P[q] === ADJ) {
            head = q;
            rel = R_CONJ;
          }
        }
      } else if (p === NOUN || p === PROPN) rel = R_COMPOUND;
      else if (p === ADV) {
        rel = R_ADVMOD;
        if (k + 1 < to && (P[k + 1] === ADJ || P[k + 1] === ADV)) head = k + 1;
      } else if (p === CCONJ) {
        rel = R_CC;
        let q = k + 1;
        while (q < to - 1 && X[q] === '-') q++;
        head = q;
      } else if (p === PART) rel = R_CASE;
      else if (p === PUNCT) {
        rel = R_PUNCT;
        head = Math.min(k + 1, to - 1);
      }
    }
    heads[k] = head;
    rels[k] = rel;
  }
}

/**
 * Units of sentence tokens [from, to) into `U`, with their inside attachments written to
 * heads/rels. The sentence's chunks are appended to `found` (the parse's own list), and units refer
 * to them by index.
 */
export function sentenceUnits(
  w: Words,
  from: number,
  to: number,
  heads: Int32Array,
  rels: number[],
  U: Units,
  found: Chunk[],
): void {
  const P = w.pos;
  const L = w.lower;
  // chunks come in order and do not overlap: the one starting at i, if any, is found by walking them
  const chunks = found;
  let nextChunk = chunks.length;
  const chunkCount = nextChunk + nounChunks(w, from, to, chunks);
  U.reset(to - from);
  let i = from;
  while (i < to) {
    const p = P[i];
    while (nextChunk < chunkCount && chunks[nextChunk].start < i) nextChunk++;
    const ci = nextChunk < chunkCount && chunks[nextChunk].start === i ? nextChunk : -1;
    const c = ci >= 0 ? chunks[ci] : undefined;
    const np = i + 1 < to ? P[i + 1] : -1;
    let u: number;
    if (c && L[i] === 'there' && c.kind === 'pronoun' && (np === AUX || np === VERB)) {
      u = U.push(U_EXPL, i, i + 1, i, -1);
    } else if (c && c.kind === 'pronoun' && RELATIVE.has(L[i]) && (np === AUX || np === VERB)) {
      u = U.push(U_REL, i, i + 1, i, -1);
    } else if (c) {
      u = U.push(c.kind === 'noun' ? U_NP : U_PRO, c.start, c.end, c.head, ci);
    } else if (p === AUX || p === VERB || (p === PART && NEGATION.has(L[i]) && (np === VERB || np === AUX))) {
      let j = i;
      let verb = -1;
      let lastAux = -1;
      while (j < to) {
        const x = P[j];
        if (x === AUX) lastAux = j;
        else if (x === VERB) {
          verb = j;
          j++;
          break;
        } else if (x === PART && NEGATION.has(L[j])) {
          /* negation */
        } else if (x === ADV && j + 1 < to && (P[j + 1] === VERB || P[j + 1] === AUX)) {
          /* "is also standing" */
        } else break;
        j++;
      }
      const head = verb >= 0 ? verb : lastAux >= 0 ? lastAux : i;
      u = U.push(U_VG, i, j, head, -1);
      U.aux[u] = lastAux >= 0 ? 1 : 0;
      U.copula[u] = verb < 0 ? 1 : 0;
    } else if (p === PART && L[i] === 'to' && (np === VERB || np === AUX)) {
      u = U.push(U_TO, i, i + 1, i, -1);
    } else if (p === ADP) {
      u = U.push(U_ADP, i, i + 1, i, -1);
    } else if (p === ADJ || p === NUM || (p === ADV && (np === ADJ || np === NUM))) {
      // degree adverbs and stacked adjectives before the last adjective ("very light green")
      let j = i;
      let head = i;
      while (j < to && (P[j] === ADV || P[j] === ADJ || P[j] === NUM)) {
        if (P[j] !== ADV) head = j;
        if (P[j] === NUM && j > i) break;
        j++;
      }
      u = U.push(U_ADJP, i, head + 1, head, -1);
    } else if (p === ADV || p === PART) {
      u = U.push(U_ADV, i, i + 1, i, -1);
    } else if (p === CCONJ) {
      u = U.push(U_CCONJ, i, i + 1, i, -1);
    } else if (p === SCONJ || (p === PRON && RELATIVE.has(L[i]))) {
      u = U.push(U_SCONJ, i, i + 1, i, -1);
    } else if (p === PUNCT) {
      const x = w.texts[i];
      u = U.push(x === ',' || x === ';' ? U_COMMA : U_PUNCT, i, i + 1, i, -1);
    } else {
      u = U.push(U_OTHER, i, i + 1, i, -1);
    }
    attachInside(U, u, w, heads, rels);
    i = U.end[u];
  }
}
