/**
 * Generation settings: generation_config.json (then config.json) for the token ids and logits
 * processors, the caller's options on top. `max_new_tokens` has no default in the file (the public
 * one has none either), so the runner's default is explicit here.
 */
export interface GenerationSettings {
  decoderStartTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  forcedBosTokenId: number | null;
  forcedEosTokenId: number | null;
  noRepeatNgramSize: number;
  numBeams: number;
  lengthPenalty: number;
  maxNewTokens: number;
}

export type GenerationOverrides = Partial<
  Pick<GenerationSettings, 'numBeams' | 'maxNewTokens' | 'noRepeatNgramSize' | 'lengthPenalty'>
>;

export const DEFAULT_MAX_NEW_TOKENS = 256;

export function generationSettings(
  generation: Record<string, unknown>,
  config: Record<string, unknown>,
  o: GenerationOverrides = {},
): GenerationSettings {
  const pick = (k: string): unknown => generation[k] ?? config[k];
  const id = (k: string): number => {
    const v = pick(k);
    if (!Number.isInteger(v) || (v as number) < 0)
      throw new Error(`generation_config.json / config.json: ${k} must be a token id (got ${JSON.stringify(v)})`);
    return v as number;
  };
  const optId = (k: string): number | null => (pick(k) === undefined || pick(k) === null ? null : id(k));
  const int = (v: unknown, what: string, min: number): number => {
    if (!Number.isInteger(v) || (v as number) < min)
      throw new Error(`${what} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
    return v as number;
  };
  const eos = pick('eos_token_id');
  return {
    decoderStartTokenId: id('decoder_start_token_id'),
    eosTokenId: Array.isArray(eos) ? int(eos[0], 'eos_token_id[0]', 0) : id('eos_token_id'),
    padTokenId: id('pad_token_id'),
    forcedBosTokenId: optId('forced_bos_token_id'),
    forcedEosTokenId: optId('forced_eos_token_id'),
    noRepeatNgramSize: int(o.noRepeatNgramSize ?? pick('no_repeat_ngram_size') ?? 0, 'no_repeat_ngram_size', 0),
    numBeams: int(o.numBeams ?? pick('num_beams') ?? 1, 'num_beams', 1),
    lengthPenalty: Number(o.lengthPenalty ?? pick('length_penalty') ?? 1),
    maxNewTokens: int(o.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS, 'max_new_tokens', 1),
  };
}
