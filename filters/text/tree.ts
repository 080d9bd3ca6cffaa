import type { Words } from './tokens.ts';
import { NUM } from './tokens.ts';
import {
  sentenceUnits,
  Units,
  U_ADJP,
  U_ADP,
  U_ADV,
  U_CCONJ,
  U_COMMA,
  U_EXPL,
  U_NONE,
  U_NP,
  U_PRO,
  U_PUNCT,
  U_REL,
  U_SCONJ,
  U_TO,
  U_VG,
  R_ACL,
  R_ACOMP,
  R_ADVCL,
  R_ADVMOD,
  R_AMOD,
  R_APPOS,
  R_ATTR,
  R_CASE,
  R_CC,
  R_CONJ,
  R_DEP,
  R_EXPL,
  R_MARK,
  R_NMOD,
  R_NSUBJ,
  R_NUMMOD,
  R_OBJ,
  R_OBL,
  R_PARATAXIS,
  R_POSS,
  R_PRT,
  R_PUNCT,
  R_RELCL,
  R_ROOT,
  R_XCOMP,
} from './units.ts';
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
  /** Relation codes per token (units.ts: REL_NAMES[code] is the name). */
  rels: number[];
  /** Noun and pronoun chunks of every sentence, in text order. */
  chunks: Chunk[];
}

/** A noun or pronoun chunk. */
function nominal(kind: number): boolean {
  return kind === U_NP || kind === U_PRO;
}
const IRREGULAR_PARTICIPLES = new Set(['made', 'held', 'worn', 'hung', 'lit', 'set', 'built']);

/** The units of the sentence being attached (one sentence at a time). */
const units = new Units();

export function buildTree(w: Words): Tree {
  const n = w.n;
  const heads = keptInt32(n, -2);
  const rels: number[] = [];
  for (let k = 0; k < n; k++) rels.push(0);
  const chunks: Chunk[] = [];
  // every chunk the chunker found, those that became units and those that did not
  const found: Chunk[] = [];
  const firstOf = w.firstOf;
  for (let k = 0; k < w.sentences; k++) {
    const a = firstOf[k];
    const b = firstOf[k + 1] - 1;
    if (b < a) continue;
    let root = attachSentence(w, a, b + 1, heads, rels, found, chunks);
    // a sentence of punctuation only has no unit to root it: its first token is the root
    if (root < 0) {
      root = a;
      heads[a] = -1;
      rels[a] = R_ROOT;
    }
    breakCycles(heads, rels, a, b + 1, root);
  }
  return { heads, rels, chunks };
}

/** Per-sentence attachment state, passed to module-level helpers (no closures on the hot path). */
class State {
  heads: Int32Array = new Int32Array(0);
  rels: number[] = [];
  attached: Uint8Array = new Uint8Array(0);
  /** Tokens waiting for the next verb (fronted PPs, adverbs). */
  pending: number[] = [];
  root = -1;
  lastClause = -1;
  lastClauseUnit = -1;
}

function attachUnit(s: State, u: number, head: number, rel: number): void {
  const h = units.head[u];
  s.heads[h] = head;
  s.rels[h] = rel;
  s.attached[u] = 1;
}

/** A clause head: the sentence root if first, else a conj / advcl / parataxis of the previous clause. */
function linkClause(s: State, u: number, head: number): void {
  const { heads, rels } = s;
  const kind = units.kind;
  if (s.root < 0) {
    s.root = head;
    heads[head] = -1;
    rels[head] = R_ROOT;
    s.attached[u] = 1;
  } else if (s.lastClause >= 0) {
    let rel = R_PARATAXIS;
    for (let k = u - 1; k > s.lastClauseUnit; k--) {
      if (kind[k] === U_CCONJ) rel = R_CONJ;
      if (kind[k] === U_SCONJ) rel = R_ADVCL;
    }
    attachUnit(s, u, s.lastClause, rel);
  } else attachUnit(s, u, s.root, R_PARATAXIS);
  s.lastClause = head;
  s.lastClauseUnit = u;
  while (s.pending.length) {
    const p = s.pending.pop()!;
    heads[p] = head;
    rels[p] = rels[p] || R_OBL;
  }
}

const attachedScratch = new Uint8Scratch();
const inPPScratch = new Uint8Scratch();
const reducedScratch = new Uint8Scratch();
const state = new State();
/** token head -> first conjunct head, for the sentence being attached */
const conjOf = new Map<number, number>();

/** The unit whose head is token p, or -1. */
function unitWithHead(p: number): number {
  const head = units.head;
  for (let k = 0; k < units.count; k++) if (head[k] === p) return k;
  return -1;
}

function attachSentence(
  w: Words,
  from: number,
  to: number,
  heads: Int32Array,
  rels: number[],
  found: Chunk[],
  chunks: Chunk[],
): number {
  sentenceUnits(w, from, to, heads, rels, units, found);
  const count = units.count;
  const kind = units.kind;
  const uhead = units.head;
  for (let u = 0; u < count; u++) {
    const c = units.chunk[u];
    if (c >= 0) chunks.push(found[c]);
  }
  const s = state;
  s.heads = heads;
  s.rels = rels;
  s.attached = attachedScratch.take(count);
  s.pending.length = 0;
  s.root = -1;
  s.lastClause = -1;
  s.lastClauseUnit = -1;
  const attached = s.attached;
  const pending = s.pending;
  const inPP = inPPScratch.take(count);
  // clear() makes a new table: only when there is something to clear
  if (conjOf.size > 0) conjOf.clear();
  let lastVerb = -1; // head token of the last verb group
  let lastVgUnit = -1;
  let lastCore = -1; // unit index of the last nominal not inside a prepositional phrase
  let expletiveVg = -1; // verb group after "there": the chunk after it is its subject
  const reduced = reducedScratch.take(count); // verb groups attached as reduced relative clauses
  // The previous verb group that can own a subject; reduced relatives ("a man wearing a hat") cannot.
  // A unit is marked reduced only while it is the current one, so this is settled one unit later.
  let previousVg = -1;
  for (let u = 0; u < count; u++) {
    const K = kind[u];
    const H = uhead[u];
    const pk = u > 0 ? kind[u - 1] : U_NONE;
    if (pk === U_VG && !reduced[u - 1]) previousVg = u - 1;
    if (K === U_NP || K === U_PRO) {
      const chunk = units.chunk[u] >= 0 ? found[units.chunk[u]] : undefined;
      if (chunk && chunk.possessor >= 0) {
        // "the dog's toy": the possessed chunk takes the possessor's place, the possessor hangs on it
        const p = chunk.possessor;
        const pu = unitWithHead(p);
        if (pu >= 0 && attached[pu] && heads[p] !== -2) {
          heads[H] = heads[p];
          rels[H] = rels[p];
          attached[u] = 1;
        }
        if (pu >= 0 && lastCore === pu) lastCore = u;
        if (pu >= 0 && inPP[pu]) inPP[u] = 1;
        for (let k = 0; k < pending.length; k++)
          if (pending[k] === p) {
            pending[k] = H;
            rels[H] = rels[p];
            attached[u] = 1;
          }
        if (s.root === p) {
          s.root = H;
          heads[H] = -1;
          rels[H] = R_ROOT;
          attached[u] = 1;
        }
        if (s.lastClause === p) s.lastClause = H;
        heads[p] = H;
        rels[p] = R_POSS;
        if (pu >= 0) attached[pu] = 1;
        continue;
      }
      if (pk === U_ADP) {
        const adp = uhead[u - 1];
        heads[adp] = H;
        rels[adp] = R_CASE;
        attached[u - 1] = 1;
        inPP[u] = 1;
        const host = u >= 2 && nominal(kind[u - 2]) ? uhead[u - 2] : -1;
        if (host >= 0) attachUnit(s, u, host, R_NMOD);
        else if (lastVerb >= 0 && (u < 2 || kind[u - 2] !== U_COMMA || lastVgUnit > lastCore))
          attachUnit(s, u, lastVerb, R_OBL);
        else {
          pending.push(H);
          rels[H] = R_OBL;
          attached[u] = 1;
        }
        continue;
      }
      if ((pk === U_CCONJ || pk === U_COMMA) && lastCore >= 0 && !startsClause(w, u)) {
        let first = uhead[lastCore];
        first = conjOf.get(first) ?? first;
        attachUnit(s, u, first, R_CONJ);
        conjOf.set(H, first);
        const sep = uhead[u - 1];
        heads[sep] = H;
        rels[sep] = pk === U_CCONJ ? R_CC : R_PUNCT;
        attached[u - 1] = 1;
        if (u >= 2 && kind[u - 2] === U_COMMA && pk === U_CCONJ) {
          heads[uhead[u - 2]] = H;
          rels[uhead[u - 2]] = R_PUNCT;
          attached[u - 2] = 1;
        }
        lastCore = u;
        continue;
      }
      if (pk === U_VG && !attached[u]) {
        attachUnit(s, u, uhead[u - 1], expletiveVg === u - 1 ? R_NSUBJ : units.copula[u - 1] ? R_ATTR : R_OBJ);
        lastCore = u;
        continue;
      }
      if (nominal(pk) && !attached[u]) {
        attachUnit(s, u, uhead[u - 1], R_APPOS);
        continue;
      }
      lastCore = u;
      continue;
    }
    if (K === U_VG) {
      lastVgUnit = u;
      if (pk === U_TO) {
        heads[uhead[u - 1]] = H;
        rels[uhead[u - 1]] = R_MARK;
        attached[u - 1] = 1;
        if (lastVerb >= 0) attachUnit(s, u, lastVerb, R_XCOMP);
        else if (lastCore >= 0) attachUnit(s, u, uhead[lastCore], R_ACL);
        if (expletiveVg === u - 2) expletiveVg = u; // "there appears to be a cat"
        lastVerb = H;
        continue;
      }
      if (pk === U_REL && u >= 2 && nominal(kind[u - 2])) {
        heads[uhead[u - 1]] = H;
        rels[uhead[u - 1]] = R_NSUBJ;
        attached[u - 1] = 1;
        attachUnit(s, u, uhead[u - 2], R_RELCL);
        lastVerb = H;
        continue;
      }
      let subj = -1;
      for (let k = u - 1; k >= 0 && k > previousVg; k--) {
        const KK = kind[k];
        if ((nominal(KK) || KK === U_EXPL || KK === U_REL) && !attached[k]) {
          subj = k;
          break;
        }
      }
      const aux = units.aux[u] === 1;
      if (subj >= 0 && !aux && reducedBeforeVerb(w, u)) {
        // "a whiteboard covered in diagrams hangs on the wall": the participle modifies the subject
        attachUnit(s, u, uhead[subj], R_ACL);
        reduced[u] = 1;
      } else if (subj >= 0) {
        attachUnit(s, subj, H, kind[subj] === U_EXPL ? R_EXPL : R_NSUBJ);
        if (kind[subj] === U_EXPL) expletiveVg = u;
        linkClause(s, u, H);
      } else if (pk === U_CCONJ && lastVerb >= 0) {
        attachUnit(s, u, lastVerb, R_CONJ);
        heads[uhead[u - 1]] = H;
        rels[uhead[u - 1]] = R_CC;
        attached[u - 1] = 1;
      } else if (
        !aux &&
        lastCore >= 0 &&
        (pk === U_NP || pk === U_PRO || (pk === U_COMMA && w.lower[H].endsWith('ing')) || inPP[u - 1])
      ) {
        attachUnit(s, u, kind[u - 1] === U_COMMA ? uhead[lastCore] : uhead[u - 1], R_ACL);
        reduced[u] = 1;
      } else if (s.root < 0 || s.lastClause < 0) {
        linkClause(s, u, H);
      } else {
        attachUnit(s, u, lastVerb >= 0 ? lastVerb : s.root, pk === U_CCONJ ? R_CONJ : R_ADVCL);
      }
      lastVerb = H;
      continue;
    }
    if (K === U_ADJP) {
      if (pk === U_VG) attachUnit(s, u, uhead[u - 1], R_ACOMP);
      else if ((pk === U_CCONJ || pk === U_COMMA) && u >= 2 && kind[u - 2] === U_ADJP) {
        attachUnit(s, u, uhead[u - 2], R_CONJ);
        heads[uhead[u - 1]] = H;
        rels[uhead[u - 1]] = pk === U_CCONJ ? R_CC : R_PUNCT;
        attached[u - 1] = 1;
      } else if (nominal(pk)) attachUnit(s, u, uhead[u - 1], w.pos[H] === NUM ? R_NUMMOD : R_AMOD);
      else if (lastVerb >= 0) attachUnit(s, u, lastVerb, R_DEP);
      else {
        pending.push(H);
        rels[H] = R_DEP;
        attached[u] = 1;
      }
      continue;
    }
    if (K === U_ADP) {
      if (u + 1 < count && nominal(kind[u + 1])) continue; // becomes the case of the next chunk
      // a particle ("scattered around", "stretched out")
      if (pk === U_VG) attachUnit(s, u, uhead[u - 1], R_PRT);
      else if (lastVerb >= 0) attachUnit(s, u, lastVerb, R_ADVMOD);
      continue;
    }
    if (K === U_ADV) {
      if (lastVerb >= 0) attachUnit(s, u, lastVerb, R_ADVMOD);
      else {
        pending.push(H);
        rels[H] = R_ADVMOD;
        attached[u] = 1;
      }
    }
  }
  // Whatever is still free: the s.root is the first verb clause, else the first chunk.
  if (s.root < 0) {
    let ru = -1;
    for (let k = 0; k < count; k++)
      if (nominal(kind[k]) && !attached[k]) {
        ru = k;
        break;
      }
    if (ru < 0)
      for (let k = 0; k < count; k++)
        if (!attached[k] && kind[k] !== U_PUNCT && kind[k] !== U_COMMA) {
          ru = k;
          break;
        }
    if (ru < 0) return -1;
    s.root = uhead[ru];
    heads[s.root] = -1;
    rels[s.root] = R_ROOT;
    attached[ru] = 1;
  }
  for (const p of pending)
    if (heads[p] === -2) {
      heads[p] = s.root;
      rels[p] = rels[p] || R_DEP;
    }
  for (let u = 0; u < count; u++) {
    if (attached[u] || uhead[u] === s.root) continue;
    const K = kind[u];
    const punct = K === U_PUNCT || K === U_COMMA;
    // separators go to the next unit, the rest to the s.root
    const nx = u + 1 < count ? uhead[u + 1] : -1;
    heads[uhead[u]] = punct || K === U_CCONJ || K === U_SCONJ ? (nx >= 0 ? nx : s.root) : s.root;
    rels[uhead[u]] = punct ? R_PUNCT : K === U_CCONJ ? R_CC : K === U_SCONJ ? R_MARK : R_DEP;
  }
  for (let k = from; k < to; k++)
    if (heads[k] === -2) {
      heads[k] = s.root;
      rels[k] = rels[k] || R_DEP;
    }
  if (heads[s.root] !== -1) heads[s.root] = -1;
  return s.root;
}

/** A chunk after "and" that is followed by a finite verb group starts a new clause ("... and the walls are white"). */
function startsClause(w: Words, u: number): boolean {
  const kind = units.kind;
  const count = units.count;
  let k = u + 1;
  while (k < count && (kind[k] === U_ADP || (nominal(kind[k]) && kind[k - 1] === U_ADP))) k++;
  return (
    k < count &&
    kind[k] === U_VG &&
    (units.aux[k] === 1 || units.copula[k] === 1 || !participleLike(w.lower[units.head[k]]))
  );
}

/**
 * A bare participle followed (after at most its object and prepositional phrases) by another verb
 * group of the same clause is a reduced relative clause, not the clause's verb.
 */
function reducedBeforeVerb(w: Words, u: number): boolean {
  const kind = units.kind;
  const count = units.count;
  const lower = w.lower[units.head[u]];
  if (!participleLike(lower) && !IRREGULAR_PARTICIPLES.has(lower)) return false;
  let k = u + 1;
  if (k < count && nominal(kind[k])) k++;
  while (k + 1 < count && kind[k] === U_ADP && nominal(kind[k + 1])) k += 2;
  while (k < count && kind[k] === U_ADV) k++;
  return k < count && kind[k] === U_VG;
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
function breakCycles(heads: Int32Array, rels: number[], from: number, to: number, root: number): void {
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
      rels[i] = i === root ? R_ROOT : R_DEP;
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
      rels[i] = R_DEP;
    }
}
