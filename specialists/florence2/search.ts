/**
 * Per-row search state for greedy and beam search. Beam search follows transformers (and the PyTorch
 * reference, training/florence2_layout/decode.py): one live beam at step 0, the top 2*num_beams
 * candidates per step, an EOS outside the top num_beams does not finish, length-normalised
 * finished scores, early stopping once num_beams hypotheses finished.
 */
import { MAX_CANDIDATES, type SimdLogits } from './log-sum-exp-simd.ts';
import { bannedTokens, forcedToken, logSumExp, simdLogits } from './logits.ts';
import type { GenerationSettings } from './settings.ts';

export interface Hypothesis {
  /** Decoder start token + generated tokens (EOS included when it came). */
  seq: number[];
  /** Sum of the processed log-probabilities of the generated tokens. */
  sum: number;
  /** Per generated token: its processed log-probability and whether it was forced. */
  logprobs: number[];
  forced: boolean[];
}

export interface Generated extends Hypothesis {
  /** Length-normalised score (sum / generated length ** length_penalty). */
  score: number;
}

export interface RowSearch {
  readonly done: boolean;
  /** Live hypotheses, one per decoder slot. */
  live(): readonly Hypothesis[];
  /**
   * Consumes the logits of this row's slots (`first`.. in `logits`); returns, per new live hypothesis,
   * the index (into this row's previous live list) it extends. The array is the search's own, read it
   * before the next call.
   */
  advance(logits: Float32Array, first: number, vocab: number, step: number): readonly number[];
  result(): Generated;
}

const extend = (h: Hypothesis, tok: number, lp: number, forced: boolean): Hypothesis => ({
  seq: [...h.seq, tok],
  sum: h.sum + lp,
  logprobs: [...h.logprobs, lp],
  forced: [...h.forced, forced],
});

const start = (s: GenerationSettings): Hypothesis => ({
  seq: [s.decoderStartTokenId],
  sum: 0,
  logprobs: [],
  forced: [],
});

const normalised = (h: Hypothesis, s: GenerationSettings): Generated => ({
  ...h,
  score: h.sum / Math.max(1, h.seq.length - 1) ** s.lengthPenalty,
});

const NONE: readonly never[] = [];
const FIRST: readonly number[] = [0];

export class GreedySearch implements RowSearch {
  done = false;
  // the one hypothesis grows in place: nothing else holds it while the search runs
  readonly #h: Hypothesis;
  readonly #live: readonly Hypothesis[];
  /** 1 at the tokens no-repeat n-gram bans this step, else 0. */
  readonly #banned: Uint8Array;

  constructor(
    readonly s: GenerationSettings,
    vocab: number,
  ) {
    this.#h = start(s);
    this.#live = [this.#h];
    this.#banned = new Uint8Array(vocab);
  }

  live(): readonly Hypothesis[] {
    return this.done ? NONE : this.#live;
  }

  advance(logits: Float32Array, first: number, vocab: number, step: number): readonly number[] {
    const h = this.#h;
    let tok = 0;
    let lp: number;
    let forced = false;
    const f = forcedToken(step, this.s);
    if (f !== null) {
      // the one finite score is the forced token's 0 (none for an id outside the vocabulary: argmax takes 0)
      forced = true;
      const inVocab = f >= 0 && f < vocab;
      tok = inVocab ? f : 0;
      lp = inVocab ? 0 : -Infinity;
    } else {
      // argmax over the processed scores (logit - lse, -inf where banned): the first of the largest
      const banned = this.#banned;
      const bans = bannedTokens(h.seq, this.s.noRepeatNgramSize);
      for (const t of bans) banned[t] = 1;
      const lse = logSumExp(logits, first, vocab);
      const o = first * vocab;
      lp = banned[0] ? -Infinity : logits[o] - lse;
      for (let i = 1; i < vocab; i++) {
        const v = banned[i] ? -Infinity : logits[o + i] - lse;
        if (v > lp) {
          tok = i;
          lp = v;
        }
      }
      for (const t of bans) banned[t] = 0;
    }
    h.seq.push(tok);
    h.sum += lp;
    h.logprobs.push(lp);
    h.forced.push(forced);
    if (tok === this.s.eosTokenId) {
      this.done = true;
      return NONE;
    }
    return FIRST;
  }

  result(): Generated {
    return normalised(this.#h, this.s);
  }
}

export class BeamSearch implements RowSearch {
  done = false;
  #beams: Hypothesis[];
  #finished: Generated[] = [];
  readonly #forced: boolean[] = [];
  /** 1 at the tokens no-repeat n-gram bans for the beam being offered, else 0. */
  readonly #banned: Uint8Array;
  // the step's top 2*num_beams candidates, best first: beam score + token score, source beam, token, token score
  readonly #topV: Float64Array;
  readonly #topSrc: Int32Array;
  readonly #topTok: Int32Array;
  readonly #topLp: Float64Array;
  /** `#offerBest`'s candidate order. */
  readonly #order: Int32Array;

  constructor(
    readonly s: GenerationSettings,
    readonly vocab: number,
    /** The WebAssembly helper that scores a beam's row; null keeps the JavaScript loops (the tests compare the two). */
    private readonly wasm: SimdLogits | null = simdLogits,
  ) {
    this.#beams = [start(s)];
    const k = 2 * s.numBeams;
    this.#topV = new Float64Array(k);
    this.#topSrc = new Int32Array(k);
    this.#topTok = new Int32Array(k);
    this.#topLp = new Float64Array(k);
    this.#order = new Int32Array(k);
    this.#banned = new Uint8Array(vocab);
  }

  live(): readonly Hypothesis[] {
    return this.done ? NONE : this.#beams;
  }

  /**
   * Puts a candidate into the top list (`count` long, `k` at most); returns the new count. Candidates
   * come in flat index order: a tie keeps the earlier one first and one tying the last of a full list
   * stays out, as a stable sort of all candidates would have it.
   */
  #insert(v: number, src: number, tok: number, lp: number, count: number, k: number): number {
    const topV = this.#topV,
      topSrc = this.#topSrc,
      topTok = this.#topTok,
      topLp = this.#topLp;
    if (count === k && v <= topV[k - 1]) return count;
    let i = count;
    while (i > 0 && topV[i - 1] < v) i--;
    if (i >= k) return count;
    for (let j = count < k ? count : k - 1; j > i; j--) {
      topV[j] = topV[j - 1];
      topSrc[j] = topSrc[j - 1];
      topTok[j] = topTok[j - 1];
      topLp[j] = topLp[j - 1];
    }
    topV[i] = v;
    topSrc[i] = src;
    topTok[i] = tok;
    topLp[i] = lp;
    return count < k ? count + 1 : count;
  }

  /** Offers a beam's finite candidates (score logit - lse of `logits` row `row`, none where banned). */
  #offer(
    logits: Float32Array,
    row: number,
    lse: number,
    vocab: number,
    sum: number,
    src: number,
    count: number,
    k: number,
  ): number {
    const banned = this.#banned;
    const topV = this.#topV;
    const o = row * vocab;
    for (let tok = 0; tok < vocab; tok++) {
      if (banned[tok]) continue;
      const lp = logits[o + tok] - lse;
      if (lp === -Infinity) continue;
      const v = sum + lp;
      // most candidates fall short of a full list's last: settle them here, without the call
      if (count === k && v <= topV[k - 1]) continue;
      count = this.#insert(v, src, tok, lp, count, k);
    }
    return count;
  }

  /**
   * Offers a beam's best `n` candidates as `SimdLogits.top` left them, in token order: the list ends
   * as if every token had been offered (a token outside its beam's best k cannot be in the best k of
   * all), and token order keeps the ties as `#offer` breaks them.
   */
  #offerBest(w: SimdLogits, n: number, src: number, count: number, k: number): number {
    const order = this.#order;
    for (let i = 0; i < n; i++) {
      let j = i;
      while (j > 0 && w.token(order[j - 1]) > w.token(i)) {
        order[j] = order[j - 1];
        j--;
      }
      order[j] = i;
    }
    for (let i = 0; i < n; i++) {
      const c = order[i];
      count = this.#insert(w.value(c), src, w.token(c), w.score(c), count, k);
    }
    return count;
  }

  advance(logits: Float32Array, first: number, vocab: number, step: number): readonly number[] {
    const nb = this.s.numBeams;
    const k = 2 * nb;
    const beams = this.#beams;
    let count = 0;
    for (let src = 0; src < beams.length; src++) {
      const b = beams[src];
      const f = forcedToken(step, this.s);
      if (f !== null) {
        // the one finite score is the forced token's 0 (none for an id outside the vocabulary)
        this.#forced[src] = true;
        if (f >= 0 && f < vocab) count = this.#insert(b.sum + 0, src, f, 0, count, k);
      } else {
        this.#forced[src] = false;
        const bans = bannedTokens(b.seq, this.s.noRepeatNgramSize);
        const row = first + src;
        const w = k <= MAX_CANDIDATES ? this.wasm : null;
        w?.load(logits, row, vocab);
        const lse = w ? w.logSumExp() : logSumExp(logits, row, vocab);
        // a banned token's -inf logit scores -inf only against a finite lse (NaN otherwise: a NaN or
        // +inf logit in the row), so such rows take the loop, which skips banned tokens by their mask
        if (w && Number.isFinite(lse)) {
          w.ban(bans);
          // what the full list's last refuses need not leave the row
          const floor = count === k ? this.#topV[k - 1] : Number.NaN;
          count = this.#offerBest(w, w.top(lse, b.sum, k, floor), src, count, k);
        } else {
          for (const t of bans) this.#banned[t] = 1;
          count = this.#offer(logits, row, lse, vocab, b.sum, src, count, k);
          for (const t of bans) this.#banned[t] = 0;
        }
      }
    }
    const hyps: Hypothesis[] = [];
    const origin: number[] = [];
    let finished = false;
    for (let rank = 0; rank < count; rank++) {
      const src = this.#topSrc[rank],
        tok = this.#topTok[rank];
      if (tok === this.s.eosTokenId) {
        if (rank >= nb) continue;
        this.#finished.push(normalised(extend(beams[src], tok, this.#topLp[rank], this.#forced[src]), this.s));
        finished = true;
      } else {
        hyps.push(extend(beams[src], tok, this.#topLp[rank], this.#forced[src]));
        origin.push(src);
      }
      if (hyps.length === nb) break;
    }
    // a stable sort of an already sorted list changes nothing: only new entries need it
    if (finished) {
      this.#finished.sort((a, b) => b.score - a.score);
      this.#finished = this.#finished.slice(0, nb);
    }
    if (this.#finished.length >= nb || hyps.length === 0) {
      this.done = true;
      return NONE;
    }
    this.#beams = hyps;
    return origin;
  }

  result(): Generated {
    const pool = this.#finished.length ? this.#finished : this.#beams.map((h) => normalised(h, this.s));
    let best = pool[0];
    for (const g of pool) if (g.score > best.score) best = g;
    return best;
  }
}
