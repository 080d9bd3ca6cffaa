/**
 * Per-row search state for greedy and beam search. Beam search follows transformers (and the PyTorch
 * reference, training/florence2_layout/decode.py): one live beam at step 0, the top 2*num_beams
 * candidates per step, an EOS outside the top num_beams does not finish, length-normalised
 * finished scores, early stopping once num_beams hypotheses finished.
 */
import { argmax, logSoftmax, processScores } from './logits.ts';
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
  live(): Hypothesis[];
  /**
   * Consumes the logits of this row's slots (`first`.. in `logits`), returns the new live hypotheses
   * with the index (into this row's previous live list) each one extends.
   */
  advance(logits: Float32Array, first: number, vocab: number, step: number): { hyps: Hypothesis[]; origin: number[] };
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

export class GreedySearch implements RowSearch {
  done = false;
  #h: Hypothesis;
  readonly #scores: Float64Array;

  constructor(
    readonly s: GenerationSettings,
    vocab: number,
  ) {
    this.#h = start(s);
    this.#scores = new Float64Array(vocab);
  }

  live(): Hypothesis[] {
    return this.done ? [] : [this.#h];
  }

  advance(logits: Float32Array, first: number, vocab: number, step: number) {
    logSoftmax(logits, first, vocab, this.#scores);
    const forced = processScores(this.#scores, this.#h.seq, step, this.s);
    const tok = argmax(this.#scores);
    this.#h = extend(this.#h, tok, this.#scores[tok], forced);
    if (tok === this.s.eosTokenId) {
      this.done = true;
      return { hyps: [], origin: [] };
    }
    return { hyps: [this.#h], origin: [0] };
  }

  result(): Generated {
    return normalised(this.#h, this.s);
  }
}

export class BeamSearch implements RowSearch {
  done = false;
  #beams: Hypothesis[];
  #finished: Generated[] = [];
  readonly #scores: Float64Array[] = [];

  constructor(
    readonly s: GenerationSettings,
    readonly vocab: number,
  ) {
    this.#beams = [start(s)];
    for (let i = 0; i < s.numBeams; i++) this.#scores.push(new Float64Array(vocab));
  }

  live(): Hypothesis[] {
    return this.done ? [] : this.#beams;
  }

  advance(logits: Float32Array, first: number, vocab: number, step: number) {
    const nb = this.s.numBeams;
    const k = 2 * nb;
    // the top k finite (beam score + token score) candidates, best first, lower flat index first on ties
    const top: { v: number; src: number; tok: number; lp: number; forced: boolean }[] = [];
    this.#beams.forEach((b, src) => {
      const sc = this.#scores[src];
      logSoftmax(logits, first + src, vocab, sc);
      const forced = processScores(sc, b.seq, step, this.s);
      for (let tok = 0; tok < vocab; tok++) {
        const lp = sc[tok];
        if (lp === -Infinity) continue;
        const v = b.sum + lp;
        if (top.length === k && v <= top[k - 1].v) continue;
        let i = top.length;
        while (i > 0 && top[i - 1].v < v) i--;
        top.splice(i, 0, { v, src, tok, lp, forced });
        if (top.length > k) top.pop();
      }
    });
    const hyps: Hypothesis[] = [];
    const origin: number[] = [];
    for (let rank = 0; rank < top.length; rank++) {
      const c = top[rank];
      const h = extend(this.#beams[c.src], c.tok, c.lp, c.forced);
      if (c.tok === this.s.eosTokenId) {
        if (rank >= nb) continue;
        this.#finished.push(normalised(h, this.s));
      } else {
        hyps.push(h);
        origin.push(c.src);
      }
      if (hyps.length === nb) break;
    }
    this.#finished.sort((a, b) => b.score - a.score);
    this.#finished = this.#finished.slice(0, nb);
    if (this.#finished.length >= nb || hyps.length === 0) {
      this.done = true;
      return { hyps: [], origin: [] };
    }
    this.#beams = hyps;
    return { hyps, origin };
  }

  result(): Generated {
    const pool = this.#finished.length ? this.#finished : this.#beams.map((h) => normalised(h, this.s));
    let best = pool[0];
    for (const g of pool) if (g.score > best.score) best = g;
    return best;
  }
}
