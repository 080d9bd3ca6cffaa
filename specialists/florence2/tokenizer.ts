/**
 * The folder's tokenizer.json through `@huggingface/tokenizers` (the implementation transformers.js
 * runs): byte-level BPE with the merges the file carries (none for the demo model, 50k for the real
 * one), added tokens, pre-tokenizer, post-processor and decoder all read from the file. Token ids are
 * looked up by name; none is a constant here. Why not our own: docs/decisions.md, "florence2 runner".
 */
import { Tokenizer } from '@huggingface/tokenizers';

export class Florence2Tokenizer {
  readonly #tok: Tokenizer;
  readonly vocabSize: number;
  readonly #idToToken: (string | undefined)[];

  constructor(tokenizerJson: object, tokenizerConfig: object) {
    this.#tok = new Tokenizer(tokenizerJson, tokenizerConfig);
    const vocab = this.#tok.get_vocab(true);
    this.vocabSize = Math.max(...vocab.values()) + 1;
    this.#idToToken = new Array(this.vocabSize);
    for (const [t, id] of vocab) this.#idToToken[id] = t;
  }

  /** Ids with the post-processor's wrapping (`<s>` ... `</s>` for BART). */
  encode(text: string): number[] {
    return this.#tok.encode(text).ids;
  }

  /** Decoded text with special tokens kept (`</s><s>car<loc_1>...</s>`): the parsers strip them. */
  decode(ids: readonly number[]): string {
    return this.#tok.decode(ids as number[], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  idOf(token: string): number {
    const id = this.#tok.token_to_id(token);
    if (id === undefined) throw new Error(`tokenizer.json has no token ${JSON.stringify(token)}`);
    return id;
  }

  tokenOf(id: number): string | undefined {
    return this.#idToToken[id];
  }
}
