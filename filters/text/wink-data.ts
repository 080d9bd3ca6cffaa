/**
 * wink-nlp 2.4.0's data as the parse reads it: the layout of a read document's tokens, the calls on
 * its lexicon, and a memo of one number per lexeme.
 */

/**
 * Numbers per token in a document's `tokens`: the lexeme's index, the spaces before it (or a
 * contraction's expansion, above `SPACES_MASK`), the tag and lemma bits, the negation flag.
 */
export const TOKEN_SIZE = 4;
export const SPACES_MASK = 0xffff;
/** The tag's bits in a token's third number (wink-nlp's constants.js `posMask`, `bits4lemma`). */
export const POS_MASK = 0x3f00000;
export const POS_SHIFT = 20;

/** The calls on wink-nlp's lexicon (its `cache`) that the parse's own SBD and POS steps make. */
export interface WinkLexicon {
  property(index: number, prop: string): unknown;
  normal(index: number): number;
  nox(binaryWord: number): number;
  value(index: number): string;
  lookup(text: string): number[] | null;
  posOf(index: number): number;
  mappedSpelling(index: number): number;
  isMemberPOS(lexeme: number, pos: number): boolean;
}

/**
 * A number per lexeme index, looked up once and kept: the lexicon's properties of a lexeme
 * never change, and reading one through wink-nlp's `cache` costs a call and a layout lookup each time.
 * New words get new indexes as wink-nlp meets them, so the table grows by doubling.
 */
export class LexemeMemo {
  private values = new Int32Array(1 << 16).fill(-1);

  /** The kept value, or -1 for a lexeme not looked up yet (kept values are never negative). */
  get(index: number): number {
    return index < this.values.length ? this.values[index] : -1;
  }

  set(index: number, v: number): void {
    if (index >= this.values.length) {
      let n = this.values.length;
      while (n <= index) n *= 2;
      const grown = new Int32Array(n).fill(-1);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[index] = v;
  }
}

/** A numeric lexicon property of each lexeme (0 where it has none), read once per lexeme. */
export class PropertyMemo {
  private readonly memo = new LexemeMemo();
  constructor(
    private readonly lexicon: WinkLexicon,
    private readonly prop: string,
  ) {}

  of(index: number): number {
    let v = this.memo.get(index);
    if (v < 0) {
      const p = this.lexicon.property(index, this.prop);
      v = typeof p === 'number' && p > 0 ? p : 0;
      this.memo.set(index, v);
    }
    return v;
  }
}

/**
 * wink-nlp's normal of each token of a document (src/tokens-mappers.js `mapRawTokens2UIdOfNormal`):
 * a contraction's expansion carries its own in the second number, any other token has its lexeme's,
 * read once per lexeme.
 */
export class TokenNormals {
  private readonly memo = new LexemeMemo();
  constructor(private readonly lexicon: WinkLexicon) {}

  of(tokens: ArrayLike<number>, k: number): number {
    const spaces = tokens[k * TOKEN_SIZE + 1];
    if (spaces > SPACES_MASK) return this.lexicon.nox(spaces);
    const raw = tokens[k * TOKEN_SIZE];
    let n = this.memo.get(raw);
    if (n < 0) {
      n = this.lexicon.normal(raw);
      this.memo.set(raw, n);
    }
    return n;
  }
}
