import type { Token } from './tokens.ts';
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

export interface Unit {
  kind: UnitKind;
  start: number;
  end: number;
  head: number;
  /** VG: has an auxiliary; copula: no main verb, the head is a form of "be". */
  aux: boolean;
  copula: boolean;
  chunk: Chunk | undefined;
}

/**
 * Units are only read while their sentence is attached (tree.ts keeps none of them), so one list of
 * unit objects serves every sentence: `sentenceUnits` overwrites its first entries and says how many
 * are this sentence's, rather than allocating a list and an object per unit.
 */
export const units: Unit[] = [];
let unitsUsed = 0;

/** The next unit of the list; every unit has every field, so the tree's reads see one object shape. */
function unit(kind: UnitKind, start: number, end: number, head: number, chunk?: Chunk): Unit {
  if (unitsUsed === units.length)
    units.push({ kind: 'OTHER', start: 0, end: 0, head: 0, aux: false, copula: false, chunk: undefined });
  const u = units[unitsUsed++];
  u.kind = kind;
  u.start = start;
  u.end = end;
  u.head = head;
  u.aux = false;
  u.copula = false;
  u.chunk = chunk;
  return u;
}

/** This sentence's noun chunks (nounChunks writes them here), read while its units are made. */
const sentenceChunks: Chunk[] = [];

const RELATIVE = new Set(['that', 'which', 'who', 'whom']);
export const NEGATION = new Set(['not', "n't", 'never']);

/** Sets `heads`/`rels` for the tokens inside each unit (all but the unit head). */
function attachInside(u: Unit, tokens: Token[], heads: Int32Array, rels: string[]): void {
  const h = u.head;
  for (let k = u.start; k < u.end; k++) {
    if (k === h) continue;
    const t = tokens[k];
    let head = h;
    let rel = 'dep';
    if (u.kind === 'VG') {
      rel = t.pos === 'AUX' ? 'aux' : t.pos === 'PART' ? (NEGATION.has(t.lower) ? 'advmod' : 'mark') : 'advmod';
    } else if (u.kind === 'ADJP') {
      rel = 'advmod';
    } else {
      if (t.pos === 'DET' || t.pos === 'PRON') rel = 'det';
      else if (t.pos === 'NUM') rel = 'nummod';
      else if (t.pos === 'ADJ' || t.pos === 'VERB') {
        rel = 'amod';
        // second of two coordinated adjectives: conj of the first
        let p = k - 1;
        while (p > u.start && tokens[p].text === '-') p--;
        if (p > u.start && tokens[p].pos === 'CCONJ') {
          let q = p - 1;
          while (q > u.start && tokens[q].text === '-') q--;
          if (tokens[q].pos === 'ADJ') {
            head = q;
            rel = 'conj';
          }
        }
      } else if (t.pos === 'NOUN' || t.pos === 'PROPN') rel = 'compound';
      else if (t.pos === 'ADV') {
        rel = 'advmod';
        if (k + 1 < u.end && (tokens[k + 1].pos === 'ADJ' || tokens[k + 1].pos === 'ADV')) head = k + 1;
      } else if (t.pos === 'CCONJ') {
        rel = 'cc';
        let q = k + 1;
        while (q < u.end - 1 && tokens[q].text === '-') q++;
        head = q;
      } else if (t.pos === 'PART') rel = 'case';
      else if (t.pos === 'PUNCT') {
        rel = 'punct';
        head = Math.min(k + 1, u.end - 1);
      }
    }
    heads[k] = head;
    rels[k] = rel;
  }
}

/**
 * Units of sentence tokens [from, to), written to the first entries of `units` (how many is returned),
 * with their inside attachments written to heads/rels and the noun and pronoun chunks that became
 * units appended to `chunksOut`.
 */
export function sentenceUnits(
  tokens: Token[],
  from: number,
  to: number,
  heads: Int32Array,
  rels: string[],
  chunksOut: Chunk[],
): number {
  // chunks come in order and do not overlap: the one starting at i, if any, is found by walking them
  unitsUsed = 0;
  const chunks = sentenceChunks;
  const chunkCount = nounChunks(tokens, from, to, chunks);
  let nextChunk = 0;
  let i = from;
  while (i < to) {
    const t = tokens[i];
    while (nextChunk < chunkCount && chunks[nextChunk].start < i) nextChunk++;
    const c = nextChunk < chunkCount && chunks[nextChunk].start === i ? chunks[nextChunk] : undefined;
    const next = i + 1 < to ? tokens[i + 1] : undefined;
    let u: Unit;
    if (c && t.lower === 'there' && c.kind === 'pronoun' && next && (next.pos === 'AUX' || next.pos === 'VERB')) {
      u = unit('EXPL', i, i + 1, i);
    } else if (
      c &&
      c.kind === 'pronoun' &&
      RELATIVE.has(t.lower) &&
      next &&
      (next.pos === 'AUX' || next.pos === 'VERB')
    ) {
      u = unit('REL', i, i + 1, i);
    } else if (c) {
      u = unit(c.kind === 'noun' ? 'NP' : 'PRO', c.start, c.end, c.head, c);
      chunksOut.push(c);
    } else if (
      t.pos === 'AUX' ||
      t.pos === 'VERB' ||
      (t.pos === 'PART' && NEGATION.has(t.lower) && next && (next.pos === 'VERB' || next.pos === 'AUX'))
    ) {
      let j = i;
      let verb = -1;
      let lastAux = -1;
      while (j < to) {
        const x = tokens[j];
        if (x.pos === 'AUX') lastAux = j;
        else if (x.pos === 'VERB') {
          verb = j;
          j++;
          break;
        } else if (x.pos === 'PART' && NEGATION.has(x.lower)) {
          /* negation */
        } else if (x.pos === 'ADV' && j + 1 < to && (tokens[j + 1].pos === 'VERB' || tokens[j + 1].pos === 'AUX')) {
          /* "is also standing" */
        } else break;
        j++;
      }
      const head = verb >= 0 ? verb : lastAux >= 0 ? lastAux : i;
      u = unit('VG', i, j, head);
      u.aux = lastAux >= 0;
      u.copula = verb < 0;
    } else if (t.pos === 'PART' && t.lower === 'to' && next && (next.pos === 'VERB' || next.pos === 'AUX')) {
      u = unit('TO', i, i + 1, i);
    } else if (t.pos === 'ADP') {
      u = unit('ADP', i, i + 1, i);
    } else if (
      t.pos === 'ADJ' ||
      t.pos === 'NUM' ||
      (t.pos === 'ADV' && next && (next.pos === 'ADJ' || next.pos === 'NUM'))
    ) {
      // degree adverbs and stacked adjectives before the last adjective ("very light green")
      let j = i;
      let head = i;
      while (j < to && (tokens[j].pos === 'ADV' || tokens[j].pos === 'ADJ' || tokens[j].pos === 'NUM')) {
        if (tokens[j].pos !== 'ADV') head = j;
        if (tokens[j].pos === 'NUM' && j > i) break;
        j++;
      }
      u = unit('ADJP', i, head + 1, head);
    } else if (t.pos === 'ADV' || t.pos === 'PART') {
      u = unit('ADV', i, i + 1, i);
    } else if (t.pos === 'CCONJ') {
      u = unit('CCONJ', i, i + 1, i);
    } else if (t.pos === 'SCONJ' || (t.pos === 'PRON' && RELATIVE.has(t.lower))) {
      u = unit('SCONJ', i, i + 1, i);
    } else if (t.pos === 'PUNCT') {
      u = unit(t.text === ',' || t.text === ';' ? 'COMMA' : 'PUNCT', i, i + 1, i);
    } else {
      u = unit('OTHER', i, i + 1, i);
    }
    // a one-token unit has nothing inside to attach
    if (u.end - u.start > 1) attachInside(u, tokens, heads, rels);
    i = u.end;
  }
  return unitsUsed;
}
