import { LexemeMemo, PropertyMemo, SPACES_MASK, TOKEN_SIZE, TokenNormals, type WinkLexicon } from './wink-data.ts';
import { HINT_DELTA, SKIP, WinkMachine, type WinkMachines } from './wink-machine.ts';

/**
 * wink-nlp's sentence boundaries, found by the parse itself from the model's own SBD machine.
 *
 * wink-nlp's SBD step costs about a fifth of its `readDoc` (sbd + pos 15.4 ms against pos alone 12.1
 * ms on 300 detailed captions): per token it calls the lexicon's `property` two or three times
 * through the model's transformer, then walks a generic pattern machine. The hints it reads are
 * fixed per lexeme, so here they are looked up once per lexeme and kept, and the machine
 * (wink-machine.ts) walks the precomputed symbols. Everything else is wink-nlp 2.4.0's rule, step for
 * step (the model's dist/sbd-transformers.js and dist/sbd-setter.js), and `tokens.ts` checks the
 * result against wink-nlp's own on probe texts before it turns wink-nlp's step off, keeping it on if
 * they ever differ.
 */

/** Hints that depend on the spaces before the token, and abbreviations by length. */
const AMBIGUOUS_QUOTE = 4;
const SPACED_AMBIGUOUS_QUOTE = 6;
const LIKELY_EOS = 7;
const NON_EOS = 8;

export class SentenceBounds {
  private readonly machine: WinkMachine;
  private readonly lineFeed: number;
  private readonly hints: PropertyMemo;
  private readonly abbreviations = new LexemeMemo();
  private readonly normals: TokenNormals;
  private symbols = new Int32Array(256);

  constructor(
    sbd: WinkMachines,
    private readonly lexicon: WinkLexicon,
  ) {
    if (sbd.machines.length !== 1) throw new Error(`SBD: expected one machine, the model has ${sbd.machines.length}`);
    this.machine = new WinkMachine(sbd.machines[0]);
    const lf = lexicon.lookup('\n');
    if (lf === null) throw new Error('SBD: the lexicon has no line feed');
    this.lineFeed = lf[0];
    this.hints = new PropertyMemo(lexicon, 'sbdHint');
    this.normals = new TokenNormals(lexicon);
  }

  private abbreviation(index: number): number {
    let a = this.abbreviations.get(index);
    if (a < 0) {
      a = this.lexicon.property(index, 'isAbbrev')
        ? this.lexicon.value(index).length === 2
          ? NON_EOS
          : LIKELY_EOS
        : 0;
      this.abbreviations.set(index, a);
    }
    return a;
  }

  /** The machine's symbol for token `i` (wink-nlp's normal-of-token mapping, then the model's transformer). */
  private symbolOf(tokens: ArrayLike<number>, i: number): number {
    const raw = tokens[i * TOKEN_SIZE];
    const spaces = tokens[i * TOKEN_SIZE + 1];
    const t = this.normals.of(tokens, i);
    if (t === this.lineFeed) return SKIP;
    let mapped = this.hints.of(t) || this.hints.of(raw);
    if (mapped === AMBIGUOUS_QUOTE) mapped = spaces & SPACES_MASK ? SPACED_AMBIGUOUS_QUOTE : AMBIGUOUS_QUOTE;
    if (mapped) return mapped + HINT_DELTA;
    const a = this.abbreviation(t);
    return a ? HINT_DELTA + a : t;
  }

  /**
   * The sentences of a read document as wink-nlp's SBD step would set them: [first, last] token
   * indexes, in order, tiling the tokens (one empty-text sentence [0, -1] for no tokens).
   */
  sentences(tokens: ArrayLike<number>, n: number): [number, number][] {
    if (this.symbols.length < n) this.symbols = new Int32Array(Math.max(n, this.symbols.length * 2));
    const syms = this.symbols;
    for (let i = 0; i < n; i++) syms[i] = this.symbolOf(tokens, i);
    // pairs of (first token of the pattern, its state); the setter reads only the first
    const found = this.machine.recognize(syms, n);
    // the model's sbd-setter.js
    const out: [number, number][] = [];
    let si: [number, number] = [0, n - 1];
    for (let k = 0; k < found.length; k += 2) {
      si[1] = found[k];
      if (k < found.length - 2) {
        out.push(si);
        si = [found[k] + 1, n - 1];
      }
    }
    out.push(si);
    if (si[1] < n - 1) out.push([si[1] + 1, n - 1]);
    return out;
  }
}
