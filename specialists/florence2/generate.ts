/**
 * Encoder and decode loop over the four sessions (docs/florence2-formats.md section 1). Encoder input is
 * concat(image_features, embed(prompt ids)) with mask = ones + prompt mask; the merged decoder runs
 * step 0 with `use_cache_branch` false and zero-length past tensors, then true with only the last
 * token, keeping step 0's encoder KV. Rows that finish leave the batch (their KV rows are dropped),
 * so a long caption does not make short ones pay for its steps.
 */
import ort from 'onnxruntime-node';
import { BeamSearch, GreedySearch, type Generated, type RowSearch } from './search.ts';
import type { DecoderLayout, GraphTypes, Sessions } from './sessions.ts';
import type { GenerationSettings } from './settings.ts';
import {
  allocFloat,
  convertFloat,
  floatTensor,
  gatherRows,
  int64Tensor,
  lastLogits,
  type FloatData,
  type FloatType,
} from './tensors.ts';

/** Image features of a set of images, kept so several tasks and prompts reuse one vision pass. */
export interface ImageFeatures {
  data: FloatData;
  type: FloatType;
  count: number;
  tokens: number;
  dim: number;
}

export interface GenJob {
  /** Index into the ImageFeatures. */
  image: number;
  /** Prompt ids as the tokenizer wraps them (`<s>` ... `</s>`). */
  promptIds: number[];
}

export interface Graphs {
  sessions: Sessions;
  types: GraphTypes;
  decoder: DecoderLayout;
}

export async function encodeImages(
  g: Graphs,
  pixels: Float32Array,
  count: number,
  height: number,
  width: number,
): Promise<ImageFeatures> {
  const px = convertFloat(pixels, 'float32', g.types.pixels);
  const out = await g.sessions.vision_encoder.run({
    pixel_values: floatTensor(g.types.pixels, px, [count, 3, height, width]),
  });
  const f = out.image_features;
  return { data: f.data as FloatData, type: g.types.imageFeatures, count, tokens: f.dims[1], dim: f.dims[2] };
}

async function embed(g: Graphs, rows: number[][], to: FloatType): Promise<FloatData> {
  const { inputs_embeds } = await g.sessions.embed_tokens.run({ input_ids: int64Tensor(rows) });
  return convertFloat(inputs_embeds.data as FloatData, g.types.promptEmbeds, to);
}

interface Encoded {
  states: FloatData;
  mask: BigInt64Array;
  length: number;
}

async function encode(g: Graphs, f: ImageFeatures, jobs: GenJob[], pad: number): Promise<Encoded> {
  const S = Math.max(...jobs.map((j) => j.promptIds.length));
  const N = f.tokens,
    D = f.dim,
    L = N + S,
    B = jobs.length;
  const t = g.types.encoderEmbeds;
  const prompt = await embed(
    g,
    jobs.map((j) => [...j.promptIds, ...new Array(S - j.promptIds.length).fill(pad)]),
    t,
  );
  const img = convertFloat(f.data, f.type, t);
  const embeds = allocFloat(t, B * L * D);
  const mask = new BigInt64Array(B * L);
  jobs.forEach((j, b) => {
    if (j.image < 0 || j.image >= f.count)
      throw new Error(`job ${b}: image ${j.image} is outside the ${f.count} encoded images`);
    embeds.set(img.subarray(j.image * N * D, (j.image + 1) * N * D) as never, b * L * D);
    embeds.set(prompt.subarray(b * S * D, (b + 1) * S * D) as never, b * L * D + N * D);
    mask.fill(1n, b * L, b * L + N + j.promptIds.length);
  });
  const out = await g.sessions.encoder_model.run({
    inputs_embeds: floatTensor(t, embeds, [B, L, D]),
    attention_mask: new ort.Tensor('int64', mask, [B, L]),
  });
  const states = convertFloat(out.last_hidden_state.data as FloatData, g.types.lastHidden, g.decoder.encoderStatesType);
  return { states, mask, length: L };
}

/** Greedy (num_beams 1) or beam search for a chunk of jobs in one batch. */
export async function generateChunk(
  g: Graphs,
  f: ImageFeatures,
  jobs: GenJob[],
  s: GenerationSettings,
  vocab: number,
  beam: boolean,
): Promise<Generated[]> {
  const enc = await encode(g, f, jobs, s.padTokenId);
  const { past, pastType, heads, headDim } = g.decoder;
  const L = enc.length,
    D = f.dim;
  const searches: RowSearch[] = jobs.map(() => (beam ? new BeamSearch(s, vocab) : new GreedySearch(s, vocab)));
  // one slot per live hypothesis, grouped by row in row order
  let slotRows = jobs.map((_, r) => r);
  let states = enc.states;
  let mask = enc.mask;
  let cache: Map<string, FloatData> | null = null;
  let pastLen = 0;
  for (let step = 0; step < s.maxNewTokens && slotRows.length; step++) {
    const n = slotRows.length;
    const last = searches.flatMap((sr) => sr.live().map((h) => [h.seq[h.seq.length - 1]]));
    const feeds: Record<string, ort.Tensor> = {
      inputs_embeds: floatTensor(g.decoder.embedsType, await embed(g, last, g.decoder.embedsType), [n, 1, D]),
      encoder_hidden_states: floatTensor(g.decoder.encoderStatesType, states, [n, L, D]),
      encoder_attention_mask: new ort.Tensor('int64', mask, [n, L]),
      use_cache_branch: new ort.Tensor('bool', [cache !== null], [1]),
    };
    for (const name of past) {
      const len = name.includes('.encoder.') ? L : pastLen;
      feeds[name] = floatTensor(pastType, cache?.get(name) ?? allocFloat(pastType, 0), [
        n,
        heads,
        cache ? len : 0,
        headDim,
      ]);
    }
    const out = await g.sessions.decoder_model_merged.run(feeds);
    const logits = lastLogits(out.logits);
    if (logits.vocab !== vocab)
      throw new Error(`decoder_model_merged: logits are ${logits.vocab} wide, config.json vocab_size is ${vocab}`);
    // advance each row on its slots; collect the new slots and the old slot each extends
    const origin: number[] = [];
    const nextRows: number[] = [];
    let slot = 0;
    for (const r of new Set(slotRows)) {
      const mine = slotRows.filter((x) => x === r).length;
      const { origin: o } = searches[r].advance(logits.data, slot, logits.vocab, step);
      for (const k of o) {
        origin.push(slot + k);
        nextRows.push(r);
      }
      slot += mine;
    }
    const next = new Map<string, FloatData>();
    const sameRows = nextRows.length === slotRows.length && nextRows.every((r, i) => r === slotRows[i]);
    for (const name of past) {
      const isEnc = name.includes('.encoder.');
      // on the cache branch the encoder outputs are placeholders: step 0's stay in use
      const data =
        isEnc && cache ? cache.get(name)! : (out[name.replace('past_key_values', 'present')].data as FloatData);
      const rowSize = heads * (isEnc ? L : pastLen + 1) * headDim;
      const identity = origin.length === n && origin.every((o, i) => o === i);
      next.set(name, identity || (isEnc && cache && sameRows) ? data : gatherRows(data, rowSize, origin));
    }
    if (!sameRows) {
      states = gatherRows(enc.states, L * D, nextRows);
      mask = gatherRows(enc.mask, L, nextRows);
    }
    cache = next;
    pastLen++;
    slotRows = nextRows;
  }
  return searches.map((sr) => sr.result());
}
