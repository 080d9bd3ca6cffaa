/**
 * Encoder and decode loop over the four sessions (docs/florence2-formats.md section 1). Encoder input is
 * concat(image_features, embed(prompt ids)) with mask = ones + prompt mask; the merged decoder runs
 * step 0 with `use_cache_branch` false and zero-length past tensors, then true with only the last
 * token, keeping step 0's encoder KV. Each step's present tensors are the next step's past as they
 * come (copied only when beams reorder or rows leave); token embeddings come from `TokenEmbeddings`.
 * Rows that finish leave the batch (their KV rows are dropped), so a long caption does not make short
 * ones pay for its steps.
 */
import ort from 'onnxruntime-node';
import type { DecodeBufferPool, DecodeBuffers } from './decode-buffers.ts';
import { BeamSearch, GreedySearch, type Generated, type RowSearch } from './search.ts';
import type { DecoderLayout, GraphTypes, Sessions } from './sessions.ts';
import type { GenerationSettings } from './settings.ts';
import type { TokenEmbeddings } from './token-embeddings.ts';
import {
  allocFloat,
  convertFloat,
  floatTensor,
  gatherRowsInto,
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
  embeddings: TokenEmbeddings;
  buffers: DecodeBufferPool;
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
  const prompt = await g.embeddings.embed(
    jobs.flatMap((j) => [...j.promptIds, ...new Array<number>(S - j.promptIds.length).fill(pad)]),
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

/** A past input, the present output that feeds it next step, and whether it is the encoder's (fixed after step 0). */
interface PastSlot {
  name: string;
  present: string;
  encoder: boolean;
}

/** Greedy (num_beams 1) or beam search for a chunk of jobs in one batch. */
export async function generateChunk(
  g: Graphs,
  f: ImageFeatures,
  jobs: GenJob[],
  s: GenerationSettings,
  vocab: number,
  beam: boolean,
  /** Taken from `g.buffers` by the caller for this decode alone. */
  buf: DecodeBuffers,
): Promise<Generated[]> {
  const enc = await encode(g, f, jobs, s.padTokenId);
  const { past, pastType, heads, headDim, embedsType, encoderStatesType } = g.decoder;
  const L = enc.length,
    D = f.dim;
  const searches: RowSearch[] = jobs.map(() => (beam ? new BeamSearch(s, vocab) : new GreedySearch(s, vocab)));
  const slots: PastSlot[] = past.map((name) => ({
    name,
    present: name.replace('past_key_values', 'present'),
    encoder: name.includes('.encoder.'),
  }));
  // on the cache branch the encoder presents are placeholders: only the logits and the decoder's KV are fetched
  const cachedOutputs = ['logits', ...slots.filter((p) => !p.encoder).map((p) => p.present)];
  const firstStep = new ort.Tensor('bool', [false], [1]);
  const cacheStep = new ort.Tensor('bool', [true], [1]);
  // one slot per live hypothesis, grouped by row in row order
  let slotRows = jobs.map((_, r) => r);
  let states = floatTensor(encoderStatesType, enc.states, [jobs.length, L, D]);
  let mask = new ort.Tensor('int64', enc.mask, [jobs.length, L]);
  // the graph's own present tensors go back in as the next step's past; copies only when slots move
  let kv = slots.map(() => floatTensor(pastType, allocFloat(pastType, 0), [jobs.length, heads, 0, headDim]));
  // an encoder slot's rows move from its own buffer when rows leave: two buffers, used in turn
  const turn = slots.map(() => 0);
  for (let step = 0; step < s.maxNewTokens && slotRows.length; step++) {
    const n = slotRows.length;
    const last: number[] = [];
    for (let i = 0; i < n; ) {
      const r = slotRows[i];
      for (const h of searches[r].live()) last.push(h.seq[h.seq.length - 1]);
      while (i < n && slotRows[i] === r) i++;
    }
    const embeds = await g.embeddings.embed(last, embedsType, buf.float('embeds', embedsType, n * D));
    const feeds: Record<string, ort.Tensor> = {
      inputs_embeds: floatTensor(embedsType, embeds, [n, 1, D]),
      encoder_hidden_states: states,
      encoder_attention_mask: mask,
      use_cache_branch: step ? cacheStep : firstStep,
    };
    for (let i = 0; i < slots.length; i++) feeds[slots[i].name] = kv[i];
    const out = step
      ? await g.sessions.decoder_model_merged.run(feeds, cachedOutputs)
      : await g.sessions.decoder_model_merged.run(feeds);
    const logits = lastLogits(out.logits);
    if (logits.vocab !== vocab)
      throw new Error(`decoder_model_merged: logits are ${logits.vocab} wide, config.json vocab_size is ${vocab}`);
    // advance each row on its slots; collect the new slots and the old slot each extends
    const origin: number[] = [];
    const nextRows: number[] = [];
    for (let i = 0; i < n; ) {
      const r = slotRows[i];
      for (const k of searches[r].advance(logits.data, i, logits.vocab, step)) {
        origin.push(i + k);
        nextRows.push(r);
      }
      while (i < n && slotRows[i] === r) i++;
    }
    let identity = origin.length === n;
    for (let i = 0; identity && i < n; i++) identity = origin[i] === i;
    let sameRows = nextRows.length === n;
    for (let i = 0; sameRows && i < n; i++) sameRows = nextRows[i] === slotRows[i];
    const m = origin.length;
    kv = slots.map((p, i) => {
      // after step 0 the encoder KV stays; beams of one row share it, so it moves only when rows leave
      const t = p.encoder && step ? kv[i] : out[p.present];
      if (identity || (p.encoder && step && sameRows)) return t;
      const len = p.encoder ? L : step + 1;
      const rowSize = heads * len * headDim;
      const data = t.data as FloatData;
      let moved: FloatData;
      if (p.encoder) {
        turn[i] ^= 1;
        moved = gatherRowsInto(data, rowSize, origin, buf.float(`encoder${i}.${turn[i]}`, pastType, m * rowSize));
      } else {
        // the decoder KV moves at every beam step: into this slot's own buffer, free again once the next step ran
        moved = gatherRowsInto(data, rowSize, origin, buf.float(`decoder${i}`, pastType, m * rowSize));
      }
      return floatTensor(pastType, moved, [m, heads, len, headDim]);
    });
    if (!sameRows) {
      // from the encoder's rows, so the last step's copies can be overwritten
      const st = buf.float('states', encoderStatesType, m * L * D);
      states = floatTensor(encoderStatesType, gatherRowsInto(enc.states, L * D, nextRows, st), [m, L, D]);
      mask = new ort.Tensor('int64', gatherRowsInto(enc.mask, L, nextRows, buf.int64('mask', m * L)), [m, L]);
    }
    slotRows = nextRows;
  }
  return searches.map((sr) => sr.result());
}
