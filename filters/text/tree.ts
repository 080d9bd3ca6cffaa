import type { Token } from './tokens.ts';
import { sentenceUnits, units as unitList, type Unit, type UnitKind } from './units.ts';
import type { Chunk } from './chunks.ts';
import { keptInt32, Uint8Scratch } from './scratch.ts';
import { participleLike } from './tags.ts';

/**
 * A deterministic dependency-like tree over the units of each sentence (wink-nlp has no parser).
 * The rules are listed in docs/parse-rules.md; in short: inside a unit see units.ts; a noun chunk
 * right after a verb group is its object (its subject after "there is"); a preposition is the case
 * of the chunk after it, and that chunk modifies the chunk right before the preposition, else the
 * last verb (obl), else the next verb; a verb group's subject is the nearest free chunk after the
 * previous verb group; a verb group after "and" with no subject is a conjunct of the last verb; a
 * bare participle after a noun modifies it (acl); the first clause head is the sentence root.
 */
export interface Tree {
  /** Head token index per token, -1 for a sentence root. */
  heads: Int32Array;
  rels: string[];
  roots: number[];
  /** Noun and pronoun chunks of every sentence, in text order. */
  chunks: Chunk[];
}

/** A noun or pronoun chunk (compared directly: a set lookup per unit costs more). */
function nominal(kind: UnitKind | undefined): boolean {
  return kind === 'NP' || kind === 'PRO';
}
const IRREGULAR_PARTICIPLES = new Set(['made', 'held', 'worn', 'hung', 'lit', 'set', 'built']);

/** Empty strings, as many as the longest text so far had tokens: each text's rels start as a slice. */
const emptyRels: string[] = [];

export function buildTree(tokens: Token[], sentences: [number, number][]): Tree {
  const n = tokens.length;
  const heads = keptInt32(n, -2);
  // a slice of a packed array of empty strings: packed too (read faster than new Array(n).fill('')'s
  // holey one), and one copy rather than a push per token
  while (emptyRels.length < n) emptyRels.push('');
  const rels = emptyRels.slice(0, n);
  const roots: number[] = [];
  const chunks: Chunk[] = [];
  for (const [a, b] of sentences) {
    if (b < a) continue;
    let root = attachSentence(tokens, a, b + 1, heads, rels, chunks);
    // a sentence of punctuation only has no unit to root it: its first token is the root
    if (root < 0) {
      root = a;
      heads[a] = -1;
      rels[a] = 'ROOT';
    }
    roots.push(root);
    breakCycles(heads, rels, a, b + 1, root);
  }
  return { heads, rels, roots, chunks };
}

/** Per-sentence attachment state, passed to module-level helpers (no closures on the hot path). */
interface State {
  /** The sentence's units: the first `count` of the list. */
  units: Unit[];
  count: number;
  heads: Int32Array;
  rels: string[];
  attached: Uint8Array;
  /** Tokens waiting for the next verb (fronted PPs, adverbs). */
  pending: number[];
  root: number;
  lastClause: number;
  lastClauseUnit: number;
}

function link(s: State, child: number, head: number, rel: string): void {
  s.heads[child] = head;
  s.rels[child] = rel;
}

function attachUnit(s: State, u: number, head: number, rel: string): void {
  link(s, s.units[u].head, head, rel);
  s.attached[u] = 1;
}

/** A clause head: the sentence root if first, else a conj / advcl / parataxis of the previous clause. */
function linkClause(s: State, u: number, head: number): void {
  const { units, heads, rels } = s;
  if (s.root < 0) {
    s.root = head;
    heads[head] = -1;
    rels[head] = 'ROOT';
    s.attached[u] = 1;
  } else if (s.lastClause >= 0) {
    let rel = 'parataxis';
    for (let k = u - 1; k > s.lastClauseUnit; k--) {
      if (units[k].kind === 'CCONJ') rel = 'conj';
      if (units[k].kind === 'SCONJ') rel = 'advcl';
    }
    attachUnit(s, u, s.lastClause, rel);
  } else attachUnit(s, u, s.root, 'parataxis');
  s.lastClause = head;
  s.lastClauseUnit = u;
  while (s.pending.length) {
    const p = s.pending.pop()!;
    link(s, p, head, rels[p] || 'obl');
  }
}

const attachedScratch = new Uint8Scratch();
const inPPScratch = new Uint8Scratch();
const reducedScratch = new Uint8Scratch();

function attachSentence(
  tokens: Token[],
  from: number,
  to: number,
  heads: Int32Array,
  rels: string[],
  chunks: Chunk[],
): number {
  const count = sentenceUnits(tokens, from, to, heads, rels, chunks);
  const units = unitList;
  const s: State = {
    units,
    count,
    heads,
    rels,
    attached: attachedScratch.take(count),
    pending: [],
    root: -1,
    lastClause: -1,
    lastClauseUnit: -1,
  };
  const attached = s.attached;
  const pending = s.pending;
  const inPP = inPPScratch.take(count);
  // token head -> first conjunct head; made only for a sentence with a conjoined chunk
  let conjOf: Map<number, number> | null = null;
  let lastVerb = -1; // head token of the last verb group
  let lastVgUnit = -1;
  let lastCore = -1; // unit index of the last nominal not inside a prepositional phrase
  let expletiveVg = -1; // verb group after "there": the chunk after it is its subject
  const reduced = reducedScratch.take(count); // verb groups attached as reduced relative clauses
  // The previous verb group that can own a subject; reduced relatives ("a man wearing a hat") cannot.
  // A unit is marked reduced only while it is the current one, so this is settled one unit later.
  let previousVg = -1;
  for (let u = 0; u < count; u++) {
    const U = units[u];
    const pk = u > 0 ? units[u - 1].kind : undefined;
    if (pk === 'VG' && !reduced[u - 1]) previousVg = u - 1;
    if (U.kind === 'NP' || U.kind === 'PRO') {
      if (U.chunk && U.chunk.possessor >= 0) {
        // "the dog's toy": the possessed chunk takes the possessor's place, the possessor hangs on it
        const p = U.chunk.possessor;
        let pu = -1;
        for (let k = 0; k < count; k++)
          if (units[k].head === p) {
            pu = k;
            break;
          }
        if (pu >= 0 && attached[pu] && heads[p] !== -2) {
          link(s, U.head, heads[p], rels[p]);
          attached[u] = 1;
        }
        if (pu >= 0 && lastCore === pu) lastCore = u;
        if (pu >= 0 && inPP[pu]) inPP[u] = 1;
        for (let k = 0; k < pending.length; k++)
          if (pending[k] === p) {
            pending[k] = U.head;
            rels[U.head] = rels[p];
            attached[u] = 1;
          }
        if (s.root === p) {
          s.root = U.head;
          heads[U.head] = -1;
          rels[U.head] = 'ROOT';
          attached[u] = 1;
        }
        if (s.lastClause === p) s.lastClause = U.head;
        link(s, p, U.head, 'poss');
        if (pu >= 0) attached[pu] = 1;
        continue;
      }
      if (pk === 'ADP') {
        const adp = units[u - 1];
        link(s, adp.head, U.head, 'case');
        attached[u - 1] = 1;
        inPP[u] = 1;
        const host = u >= 2 && nominal(units[u - 2].kind) ? units[u - 2].head : -1;
        if (host >= 0) attachUnit(s, u, host, 'nmod');
        else if (lastVerb >= 0 && (u < 2 || units[u - 2].kind !== 'COMMA' || lastVgUnit > lastCore))
          attachUnit(s, u, lastVerb, 'obl');
        else {
          pending.push(U.head);
          rels[U.head] = 'obl';
          attached[u] = 1;
        }
        continue;
      }
      if ((pk === 'CCONJ' || pk === 'COMMA') && lastCore >= 0 && !startsClause(units, count, u, tokens)) {
        let first = units[lastCore].head;
        first = conjOf?.get(first) ?? first;
        attachUnit(s, u, first, 'conj');
        (conjOf ??= new Map()).set(U.head, first);
        const sep = units[u - 1];
        link(s, sep.head, U.head, sep.kind === 'CCONJ' ? 'cc' : 'punct');
        attached[u - 1] = 1;
        if (u >= 2 && units[u - 2].kind === 'COMMA' && sep.kind === 'CCONJ') {
          link(s, units[u - 2].head, U.head, 'punct');
          attached[u - 2] = 1;
        }
        lastCore = u;
        continue;
      }
      if (pk === 'VG' && !attached[u]) {
        const vg = units[u - 1];
        attachUnit(s, u, vg.head, expletiveVg === u - 1 ? 'nsubj' : vg.copula ? 'attr' : 'obj');
        lastCore = u;
        continue;
      }
      if (nominal(pk) && !attached[u]) {
        attachUnit(s, u, units[u - 1].head, 'appos');
        continue;
      }
      lastCore = u;
      continue;
    }
    if (U.kind === 'VG') {
      lastVgUnit = u;
      if (pk === 'TO') {
        link(s, units[u - 1].head, U.head, 'mark');
        attached[u - 1] = 1;
        if (lastVerb >= 0) attachUnit(s, u, lastVerb, 'xcomp');
        else if (lastCore >= 0) attachUnit(s, u, units[lastCore].head, 'acl');
        if (expletiveVg === u - 2) expletiveVg = u; // "there appears to be a cat"
        lastVerb = U.head;
        continue;
      }
      if (pk === 'REL' && u >= 2 && nominal(units[u - 2].kind)) {
        link(s, units[u - 1].head, U.head, 'nsubj');
        attached[u - 1] = 1;
        attachUnit(s, u, units[u - 2].head, 'acl:relcl');
        lastVerb = U.head;
        continue;
      }
      let subj = -1;
      for (let k = u - 1; k >= 0 && k > previousVg; k--) {
        const K = units[k];
        if ((nominal(K.kind) || K.kind === 'EXPL' || K.kind === 'REL') && !attached[k]) {
          subj = k;
          break;
        }
      }
      if (subj >= 0 && !U.aux && reducedBeforeVerb(units, count, u, tokens)) {
        // "a whiteboard covered in diagrams hangs on the wall": the participle modifies the subject
        attachUnit(s, u, units[subj].head, 'acl');
        reduced[u] = 1;
      } else if (subj >= 0) {
        attachUnit(s, subj, U.head, units[subj].kind === 'EXPL' ? 'expl' : 'nsubj');
        if (units[subj].kind === 'EXPL') expletiveVg = u;
        linkClause(s, u, U.head);
      } else if (pk === 'CCONJ' && lastVerb >= 0) {
        attachUnit(s, u, lastVerb, 'conj');
        link(s, units[u - 1].head, U.head, 'cc');
        attached[u - 1] = 1;
      } else if (
        !U.aux &&
        lastCore >= 0 &&
        (pk === 'NP' || pk === 'PRO' || (pk === 'COMMA' && tokens[U.head].lower.endsWith('ing')) || inPP[u - 1])
      ) {
        attachUnit(s, u, units[u - 1].kind === 'COMMA' ? units[lastCore].head : units[u - 1].head, 'acl');
        reduced[u] = 1;
      } else if (s.root < 0 || s.lastClause < 0) {
        linkClause(s, u, U.head);
      } else {
        attachUnit(s, u, lastVerb >= 0 ? lastVerb : s.root, pk === 'CCONJ' ? 'conj' : 'advcl');
      }
      lastVerb = U.head;
      continue;
    }
    if (U.kind === 'ADJP') {
      if (pk === 'VG') attachUnit(s, u, units[u - 1].head, 'acomp');
      else if ((pk === 'CCONJ' || pk === 'COMMA') && u >= 2 && units[u - 2].kind === 'ADJP') {
        attachUnit(s, u, units[u - 2].head, 'conj');
        link(s, units[u - 1].head, U.head, pk === 'CCONJ' ? 'cc' : 'punct');
        attached[u - 1] = 1;
      } else if (nominal(pk)) attachUnit(s, u, units[u - 1].head, tokens[U.head].pos === 'NUM' ? 'nummod' : 'amod');
      else if (lastVerb >= 0) attachUnit(s, u, lastVerb, 'dep');
      else {
        pending.push(U.head);
        rels[U.head] = 'dep';
        attached[u] = 1;
      }
      continue;
    }
    if (U.kind === 'ADP') {
      if (u + 1 < count && nominal(units[u + 1].kind)) continue; // becomes the case of the next chunk
      // a particle ("scattered around", "stretched out")
      if (pk === 'VG') attachUnit(s, u, units[u - 1].head, 'prt');
      else if (lastVerb >= 0) attachUnit(s, u, lastVerb, 'advmod');
      continue;
    }
    if (U.kind === 'ADV') {
      if (lastVerb >= 0) attachUnit(s, u, lastVerb, 'advmod');
      else {
        pending.push(U.head);
        rels[U.head] = 'advmod';
        attached[u] = 1;
      }
    }
  }
  // Whatever is still free: the s.root is the first verb clause, else the first chunk.
  if (s.root < 0) {
    let ru = -1;
    for (let k = 0; k < count && ru < 0; k++) if (nominal(units[k].kind) && !attached[k]) ru = k;
    for (let k = 0; k < count && ru < 0; k++)
      if (!attached[k] && units[k].kind !== 'PUNCT' && units[k].kind !== 'COMMA') ru = k;
    if (ru < 0) return -1;
    s.root = units[ru].head;
    heads[s.root] = -1;
    rels[s.root] = 'ROOT';
    attached[ru] = 1;
  }
  for (const p of pending) if (heads[p] === -2) link(s, p, s.root, rels[p] || 'dep');
  for (let u = 0; u < count; u++) {
    if (attached[u] || units[u].head === s.root) continue;
    const U = units[u];
    const punct = U.kind === 'PUNCT' || U.kind === 'COMMA';
    // separators go to the next unit, the rest to the s.root
    const nx = u + 1 < count ? units[u + 1] : undefined;
    link(
      s,
      U.head,
      punct || U.kind === 'CCONJ' || U.kind === 'SCONJ' ? (nx ? nx.head : s.root) : s.root,
      punct ? 'punct' : U.kind === 'CCONJ' ? 'cc' : U.kind === 'SCONJ' ? 'mark' : 'dep',
    );
  }
  for (let k = from; k < to; k++)
    if (heads[k] === -2) {
      heads[k] = s.root;
      rels[k] = rels[k] || 'dep';
    }
  if (heads[s.root] !== -1) heads[s.root] = -1;
  return s.root;
}

/** A chunk after "and" that is followed by a finite verb group starts a new clause ("... and the walls are white"). */
function startsClause(units: Unit[], count: number, u: number, tokens: Token[]): boolean {
  let k = u + 1;
  while (k < count && (units[k].kind === 'ADP' || (nominal(units[k].kind) && units[k - 1].kind === 'ADP'))) k++;
  const v = k < count ? units[k] : undefined;
  return !!v && v.kind === 'VG' && (!!v.aux || !!v.copula || !participleLike(tokens[v.head].lower));
}

/**
 * A bare participle followed (after at most its object and prepositional phrases) by another verb
 * group of the same clause is a reduced relative clause, not the clause's verb.
 */
function reducedBeforeVerb(units: Unit[], count: number, u: number, tokens: Token[]): boolean {
  if (!participleLike(tokens[units[u].head].lower) && !IRREGULAR_PARTICIPLES.has(tokens[units[u].head].lower))
    return false;
  let k = u + 1;
  if (k < count && nominal(units[k].kind)) k++;
  while (k + 1 < count && units[k].kind === 'ADP' && nominal(units[k + 1].kind)) k += 2;
  while (k < count && units[k].kind === 'ADV') k++;
  return k < count && units[k].kind === 'VG';
}

/** Tokens of the sentence known to reach its root (index from the sentence's first token). */
const reachesRootScratch = new Uint8Scratch();

/**
 * Safety net: the rules above should never produce a cycle, but if an unforeseen tag sequence does,
 * the token that closes it is attached to the sentence root (rel "dep"), so a tree always comes out.
 * A walk up from a token stops at a token an earlier walk found reaching the root (heads stay inside
 * the sentence, so the rest of the way is the same and short enough), so the tokens are walked over
 * about once rather than once per token below them.
 */
function breakCycles(heads: Int32Array, rels: string[], from: number, to: number, root: number): void {
  const limit = to - from + 1;
  const good = reachesRootScratch.take(to - from);
  for (let i = from; i < to; i++) {
    if (good[i - from]) continue;
    let k = i;
    let steps = 0;
    let known = false;
    while (heads[k] >= 0 && steps <= limit) {
      k = heads[k];
      steps++;
      if (k >= from && k < to && good[k - from]) {
        known = true;
        break;
      }
    }
    if (!known && (steps > limit || heads[k] !== -1)) {
      heads[i] = i === root ? -1 : root;
      rels[i] = i === root ? 'ROOT' : 'dep';
      continue;
    }
    // every token on the way reaches the root too
    for (let j = i; j >= from && j < to && !good[j - from]; j = heads[j]) {
      good[j - from] = 1;
      if (heads[j] < 0) break;
    }
  }
  for (let i = from; i < to; i++)
    if (heads[i] === -1 && i !== root) {
      heads[i] = root;
      rels[i] = 'dep';
    }
}
