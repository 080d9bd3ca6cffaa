/**
 * One Florence-2 runner for every task: loads a folder in the public ONNX layout (any dtype suffix,
 * fp16 I/O included), tokenizes prompts, encodes images once and generates for many prompts per
 * image, batched, greedy or beam.
 */
import { constructPrompt, taskTableFromConfig, type TaskTable } from '../../schemas/florence2-tasks.ts';
import { florence2ImageConfig, type Florence2ImageConfig } from '../image/florence2-preprocess.ts';
import type { ThreadOptions } from '../ort-options.ts';
import { DecodeBufferPool } from './decode-buffers.ts';
import { encodeImages, generateChunk, type GenJob, type Graphs, type ImageFeatures } from './decode-loop.ts';
import { readFolderConfigs, type DtypeChoice } from './florence2-folder.ts';
import type { Generated } from './search.ts';
import { describeSessions, openSessions, releaseSessions } from './sessions.ts';
import {
  DEFAULT_MAX_NEW_TOKENS,
  generationSettings,
  type GenerationOverrides,
  type GenerationSettings,
} from './settings.ts';
import { TokenEmbeddings } from './token-embeddings.ts';
import { Florence2Tokenizer } from './tokenizer.ts';

export interface Florence2RunnerOptions {
  /** File suffix per docs/florence2-formats.md section 1: one dtype or one per graph (default fp32). */
  dtype?: DtypeChoice;
  threads?: ThreadOptions;
  /** Prompts per decoder batch (default 8); beam search runs num_beams rows per prompt. */
  maxBatch?: number;
}

export interface GenerationOutput extends Generated {
  /** Decoded with special tokens kept, as the post-processors expect. */
  text: string;
}

/**
 * The longest prompt the encoder takes: its learned positions cover image tokens + prompt, so
 * max_position_embeddings - num_image_tokens (1024 - 577 for the public base model). Infinity when
 * config.json does not say.
 */
function promptLimit(config: Record<string, unknown>): number {
  const text = (config.text_config ?? {}) as Record<string, unknown>;
  const max = Number(text.max_position_embeddings ?? config.max_position_embeddings);
  const image = Number(config.num_image_tokens);
  return Number.isFinite(max) && Number.isFinite(image) ? max - image : Infinity;
}

/**
 * The most tokens the decoder can write: its positions, at most 1,024 (what the public Python examples
 * pass as max_new_tokens). Long-text tasks use it; the rest keep the shorter default.
 */
function outputLimit(config: Record<string, unknown>): number {
  const text = (config.text_config ?? {}) as Record<string, unknown>;
  const max = Number(text.max_position_embeddings ?? config.max_position_embeddings);
  return Number.isInteger(max) && max > 0 ? Math.min(1024, max) : DEFAULT_MAX_NEW_TOKENS;
}

/** What a folder's JSON files say, without loading a graph. */
export async function loadFolderInfo(dir: string) {
  const c = await readFolderConfigs(dir);
  try {
    const tokenizer = new Florence2Tokenizer(c.tokenizer, c.tokenizerConfig);
    const tasks = taskTableFromConfig(c.preprocessor);
    return {
      configs: c,
      tokenizer,
      tasks,
      image: florence2ImageConfig(c.preprocessor),
      vocab: Number(c.config.vocab_size ?? tokenizer.vocabSize),
      promptLimit: promptLimit(c.config),
      outputLimit: outputLimit(c.config),
      promptIds: (prefix: string) => tokenizer.encode(constructPrompt(prefix, tasks)),
    };
  } catch (e) {
    throw new Error(`${dir}: ${(e as Error).message}`);
  }
}

export class Florence2Runner {
  private constructor(
    readonly dir: string,
    readonly graphs: Graphs,
    readonly tokenizer: Florence2Tokenizer,
    readonly tasks: TaskTable,
    readonly image: Florence2ImageConfig,
    readonly vocab: number,
    readonly maxBatch: number,
    readonly generationConfig: Record<string, unknown>,
    readonly config: Record<string, unknown>,
  ) {}

  static async load(dir: string, opts: Florence2RunnerOptions = {}): Promise<Florence2Runner> {
    const info = await loadFolderInfo(dir);
    const c = info.configs;
    const maxBatch = opts.maxBatch ?? 8;
    if (!(Number.isInteger(maxBatch) && maxBatch >= 1))
      throw new Error(`maxBatch must be an integer >= 1 (got ${maxBatch})`);
    const sessions = await openSessions(dir, opts.dtype ?? 'fp32', opts.threads);
    try {
      const { types, decoder } = describeSessions(sessions, c.config);
      return new Florence2Runner(
        dir,
        {
          sessions,
          types,
          decoder,
          embeddings: new TokenEmbeddings(sessions.embed_tokens, types.promptEmbeds),
          buffers: new DecodeBufferPool(),
        },
        info.tokenizer,
        info.tasks,
        info.image,
        info.vocab,
        maxBatch,
        c.generation,
        c.config,
      );
    } catch (e) {
      await releaseSessions(sessions);
      throw new Error(`${dir}: ${(e as Error).message}`);
    }
  }

  settings(o: GenerationOverrides = {}): GenerationSettings {
    const s = generationSettings(this.generationConfig, this.config, o);
    const max = Number(((this.config.text_config ?? {}) as Record<string, unknown>).max_position_embeddings);
    if (Number.isFinite(max) && s.maxNewTokens > max)
      throw new Error(
        `max_new_tokens ${s.maxNewTokens} is more than the decoder's ${max} positions (config.json text_config.max_position_embeddings)`,
      );
    return s;
  }

  get outputLimit(): number {
    return outputLimit(this.config);
  }

  get promptLimit(): number {
    return promptLimit(this.config);
  }

  /** The processor's prompt for a prefix (task token + input), tokenized. */
  promptIds(prefix: string): number[] {
    return this.tokenizer.encode(constructPrompt(prefix, this.tasks));
  }

  /** Runs the vision encoder once over CHW pixel tensors from `florence2Pixels`. */
  async encodeImages(pixels: readonly Float32Array[]): Promise<ImageFeatures> {
    const { width, height } = this.image;
    // ORT cannot reshape an empty batch in the vision graph; nothing to encode is not an error
    if (pixels.length === 0) return { data: new Float32Array(0), type: 'float32', count: 0, tokens: 0, dim: 0 };
    const plane = 3 * width * height;
    pixels.forEach((p, i) => {
      if (p.length !== plane)
        throw new Error(`image ${i}: pixel tensor has ${p.length} values, the model takes 3x${height}x${width}`);
    });
    // one image goes in as it is; a batch needs one contiguous tensor
    const all = pixels.length === 1 ? pixels[0] : new Float32Array(pixels.length * plane);
    if (all !== pixels[0]) pixels.forEach((p, i) => all.set(p, i * plane));
    return encodeImages(this.graphs, all, pixels.length, height, width);
  }

  /** One output per job, in job order; jobs run in batches of `maxBatch`. `beam` runs beam search even with one beam. */
  async generate(
    features: ImageFeatures,
    jobs: readonly GenJob[],
    o: GenerationOverrides = {},
    search: 'auto' | 'beam' = 'auto',
  ): Promise<GenerationOutput[]> {
    const s = this.settings(o);
    const limit = this.promptLimit;
    jobs.forEach((j, k) => {
      if (j.promptIds.length > limit)
        throw new Error(
          `job ${k}: prompt of ${j.promptIds.length} tokens is longer than the encoder takes after the image tokens (${limit})`,
        );
    });
    const out: GenerationOutput[] = [];
    // one set of decode buffers for this call's chunks, which run one after another
    const buffers = this.graphs.buffers.take();
    try {
      for (let i = 0; i < jobs.length; i += this.maxBatch) {
        const chunk = jobs.slice(i, i + this.maxBatch);
        const beam = search === 'beam' || s.numBeams > 1;
        const gen = await generateChunk(this.graphs, features, chunk, s, this.vocab, beam, buffers);
        for (const g of gen) out.push({ ...g, text: this.tokenizer.decode(g.seq) });
      }
    } finally {
      this.graphs.buffers.give(buffers);
    }
    return out;
  }

  async release(): Promise<void> {
    await releaseSessions(this.graphs.sessions);
  }
}
