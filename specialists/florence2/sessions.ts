/**
 * The four ORT sessions of a Florence-2 folder and what the runner needs from their metadata: input
 * and output names, float element types (fp16 I/O works as well as fp32) and the KV cache shapes.
 */
import type ort from 'onnxruntime-node';
import { sessionOptions, type ThreadOptions } from '../ort-options.ts';
import { createSession, ProviderUnavailableError, withAvailableProviders } from '../ort-providers.ts';
import { GRAPHS, graphPath, type DtypeChoice, type GraphName } from './florence2-folder.ts';
import type { FloatType } from './tensors.ts';

export type Sessions = Record<GraphName, ort.InferenceSession>;

export interface DecoderLayout {
  /** `past_key_values.*` inputs, in the graph's order. */
  past: string[];
  pastType: FloatType;
  heads: number;
  headDim: number;
  embedsType: FloatType;
  encoderStatesType: FloatType;
  useCacheBranch: string;
}

export interface GraphTypes {
  pixels: FloatType;
  imageFeatures: FloatType;
  promptEmbeds: FloatType;
  encoderEmbeds: FloatType;
  lastHidden: FloatType;
  logits: FloatType;
}

function tensorMeta(list: readonly ort.InferenceSession.ValueMetadata[], name: string, where: string) {
  const m = list.find((x) => x.name === name);
  if (!m?.isTensor) throw new Error(`${where}: no tensor named ${name} (has ${list.map((x) => x.name).join(', ')})`);
  return m;
}

function floatType(list: readonly ort.InferenceSession.ValueMetadata[], name: string, where: string): FloatType {
  const m = tensorMeta(list, name, where);
  if (m.type !== 'float32' && m.type !== 'float16')
    throw new Error(`${where}: ${name} is ${m.type}, expected float32 or float16`);
  return m.type;
}

/** The four graphs' sessions; a provider this onnxruntime-node lacks is one line for the folder (ort-providers.ts). */
export async function openSessions(dir: string, dtype: DtypeChoice, threads: ThreadOptions = {}): Promise<Sessions> {
  const fallback = threads.cpuFallback ?? false;
  const opts = withAvailableProviders(sessionOptions(threads), fallback, dir);
  const entries = await Promise.all(
    GRAPHS.map(async (g) => {
      const path = graphPath(dir, g, dtype);
      try {
        return [g, await createSession(path, opts, fallback)] as const;
      } catch (e) {
        if (e instanceof ProviderUnavailableError) throw e;
        throw new Error(`${path}: cannot load (${(e as Error).message.split('\n')[0]})`);
      }
    }),
  );
  return Object.fromEntries(entries) as Sessions;
}

/** Reads names, types and KV sizes from metadata; heads and head size from config.json only when the graph leaves them symbolic. */
export function describeSessions(
  s: Sessions,
  config: Record<string, unknown>,
): { types: GraphTypes; decoder: DecoderLayout } {
  const d = s.decoder_model_merged;
  const where = 'decoder_model_merged';
  const past = d.inputNames.filter((n) => n.startsWith('past_key_values.'));
  if (!past.length) throw new Error(`${where}: no past_key_values.* inputs (not a merged decoder)`);
  if (!d.inputNames.includes('use_cache_branch'))
    throw new Error(`${where}: no use_cache_branch input (not a merged decoder)`);
  const pm = tensorMeta(d.inputMetadata, past[0], where) as ort.InferenceSession.TensorValueMetadata;
  const text = (config.text_config ?? {}) as Record<string, unknown>;
  const heads = typeof pm.shape[1] === 'number' ? pm.shape[1] : Number(text.decoder_attention_heads);
  const headDim = typeof pm.shape[3] === 'number' ? pm.shape[3] : Number(text.d_model) / heads;
  if (!(Number.isInteger(heads) && heads > 0 && Number.isInteger(headDim) && headDim > 0)) {
    throw new Error(
      `${where}: cannot tell heads / head size from ${past[0]} shape ${JSON.stringify(pm.shape)} or config.json text_config`,
    );
  }
  return {
    types: {
      pixels: floatType(s.vision_encoder.inputMetadata, 'pixel_values', 'vision_encoder'),
      imageFeatures: floatType(s.vision_encoder.outputMetadata, 'image_features', 'vision_encoder'),
      promptEmbeds: floatType(s.embed_tokens.outputMetadata, 'inputs_embeds', 'embed_tokens'),
      encoderEmbeds: floatType(s.encoder_model.inputMetadata, 'inputs_embeds', 'encoder_model'),
      lastHidden: floatType(s.encoder_model.outputMetadata, 'last_hidden_state', 'encoder_model'),
      logits: floatType(d.outputMetadata, 'logits', where),
    },
    decoder: {
      past,
      pastType: floatType(d.inputMetadata, past[0], where),
      heads,
      headDim,
      embedsType: floatType(d.inputMetadata, 'inputs_embeds', where),
      encoderStatesType: floatType(d.inputMetadata, 'encoder_hidden_states', where),
      useCacheBranch: 'use_cache_branch',
    },
  };
}

export async function releaseSessions(s: Sessions): Promise<void> {
  for (const g of GRAPHS) await s[g].release();
}
