import {
  LexemeMemo,
  POS_MASK,
  POS_SHIFT,
  PropertyMemo,
  TOKEN_SIZE,
  TokenNormals,
  type WinkLexicon,
} from './wink-data.ts';
import { HINT_DELTA, SKIP, WinkMachine, type WinkMachines } from './wink-machine.ts';

/**
 * wink-nlp's POS tags, found by the parse itself from the model's own POS machines.
 *
 * wink-nlp's POS step is about 45% of its `readDoc` (sbd + pos 15.4 ms, sbd alone 7.8 ms on 300
 * detailed captions): per token it reads the default tag and the tag hint through the lexicon's calls,
 * and walks two pattern machines through property reads on dictionary-mode objects. The default tag
 * and the hint are fixed per lexeme, so here they are looked up once per lexeme and kept, and the
 * machines walk flat tables (wink-machine.ts). Everything else is wink-nlp 2.4.0's rule, step for step:
 * src/tokens-mappers.js `mapRawTokens2UIdOfDefaultPOS` and `mapRawTokens2UIdOfNormal`, the POS part
 * of src/wink-nlp.js `readDoc`, and the model's dist/pos-transformers.js, pos-updater.js and
 * pos-setter.js. `tokens.ts` checks the result against wink-nlp's own on probe texts before it turns
 * wink-nlp's step off, keeping it on if they ever differ.
 */

/** wink-nlp's tag when the lexicon has none ("to handle the remote possibility of ML POS being undefined"). */
const NOUN = 8;

export class PosTagger {
  private readonly machines: WinkMachine[];
  /** Each machine's pattern names as numbers (NaN where a state has none). */
  private readonly targets: number[][];
  /** The tag value wink-nlp's POS machines skip: the index of the OOV literal (src/wink-nlp.js `fsm(cache, cache.value(0))`). */
  private readonly ignored: number;
  private readonly defaults = new LexemeMemo();
  private readonly hints: PropertyMemo;
  private readonly normals: TokenNormals;
  private tags = new Int32Array(256);
  /** Tags a pattern set by name (a string in wink-nlp, which never equals the skipped value). */
  private named = new Uint8Array(256);
  private symbols = new Int32Array(256);

  constructor(
    pos: WinkMachines,
    private readonly lexicon: WinkLexicon,
  ) {
    this.hints = new PropertyMemo(lexicon, 'posHint');
    this.normals = new TokenNormals(lexicon);
    this.machines = pos.machines.map((m) => new WinkMachine(m));
    this.targets = this.machines.map((m) => m.names.map((name) => (name === '' ? Number.NaN : Number(name))));
    const oov = lexicon.lookup(lexicon.value(0));
    if (oov === null) throw new Error('POS: the lexicon has no OOV literal');
    this.ignored = oov[0];
  }

  private defaultTag(raw: number): number {
    let d = this.defaults.get(raw);
    if (d < 0) {
      d = this.lexicon.posOf(this.lexicon.mappedSpelling(raw)) || NOUN;
      this.defaults.set(raw, d);
    }
    return d;
  }

  /**
   * Tags the tokens of a document wink-nlp read without its POS step: the tags go into the document's
   * token data as wink-nlp's setter puts them, so the document reads (its tag bits, `its.pos`,
   * `its.lemma`) as if wink-nlp had tagged it.
   */
  tag(tokens: number[], n: number): void {
    if (this.tags.length < n) {
      const m = Math.max(n, this.tags.length * 2);
      this.tags = new Int32Array(m);
      this.named = new Uint8Array(m);
      this.symbols = new Int32Array(m);
    }
    const tags = this.tags;
    const named = this.named;
    const syms = this.symbols;
    for (let k = 0; k < n; k++) {
      const v = tokens[k * TOKEN_SIZE + 2];
      tags[k] = v === 0 ? this.defaultTag(tokens[k * TOKEN_SIZE]) : (v & POS_MASK) >>> POS_SHIFT;
      named[k] = 0;
    }
    for (let m = 0; m < this.machines.length; m++) {
      // the model's transformer: the tag hint of the token if it has one, else its current tag
      for (let j = 0; j < n; j++) {
        const t = tags[j];
        if (named[j] === 0 && t === this.ignored) syms[j] = SKIP;
        else {
          const h = this.hints.of(tokens[j * TOKEN_SIZE]);
          syms[j] = h ? h + HINT_DELTA : t;
        }
      }
      const found = this.machines[m].recognize(syms, n);
      const targets = this.targets[m];
      // the model's updater: a negative target is set as is, a positive one only if the word can
      // take it (its lexeme's cluster of tags has it)
      for (let k = 0; k < found.length; k += 2) {
        const at = found[k];
        const target = targets[found[k + 1]];
        if (target < 0) {
          tags[at] = -target;
          named[at] = 0;
        } else if (!Number.isNaN(target) && this.lexicon.isMemberPOS(this.normals.of(tokens, at), target)) {
          tags[at] = target;
          named[at] = 1;
        }
      }
    }
    // the model's setter: only tokens without a tag of their own take the machines' tag
    for (let k = 0; k < n; k++) if (tokens[k * TOKEN_SIZE + 2] === 0) tokens[k * TOKEN_SIZE + 2] = tags[k] << POS_SHIFT;
  }
}
