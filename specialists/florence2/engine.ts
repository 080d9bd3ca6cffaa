/**
 * What the adapter drives: a Florence2Runner on this thread (`inline`) or in its own worker thread
 * (`worker`, the default, as for the other specialists: onnxruntime-node's `run` blocks the thread
 * that calls it). Tokenizer, task table and image config are read on this thread in both cases.
 */
import type { TaskTable } from '../../schemas/florence2-tasks.ts';
import type { Florence2ImageConfig } from '../image/florence2-preprocess.ts';
import type { GenJob } from './decode-loop.ts';
import { Florence2Runner, loadFolderInfo, type Florence2RunnerOptions, type GenerationOutput } from './runner.ts';
import type { GenerationOverrides } from './settings.ts';
import type { Florence2Tokenizer } from './tokenizer.ts';
import { type ProviderFallback, recordFallback } from '../provider-fallbacks.ts';
import { startThread } from '../thread-rpc.ts';

/** Encoded images, opaque to the caller. */
export interface FeaturesRef {
  readonly count: number;
}

export interface Florence2Engine {
  readonly tokenizer: Florence2Tokenizer;
  readonly tasks: TaskTable;
  readonly image: Florence2ImageConfig;
  /** Longest prompt (in ids) the encoder takes after the image tokens. */
  readonly promptLimit: number;
  /** Longest output (in ids) the decoder can write, at most 1,024: the detailed captions' max_new_tokens. */
  readonly outputLimit: number;
  promptIds(prefix: string): number[];
  encodeImages(pixels: readonly Float32Array[]): Promise<FeaturesRef>;
  generate(
    features: FeaturesRef,
    jobs: readonly GenJob[],
    o?: GenerationOverrides,
    search?: 'auto' | 'beam',
  ): Promise<GenerationOutput[]>;
  freeFeatures(features: FeaturesRef): Promise<void>;
  release(): Promise<void>;
}

export async function openEngine(dir: string, opts: Florence2RunnerOptions = {}): Promise<Florence2Engine> {
  if (opts.threads?.inference === 'inline') {
    const r = await Florence2Runner.load(dir, opts);
    return Object.assign(r, { freeFeatures: async () => {} }) as unknown as Florence2Engine;
  }
  const info = await loadFolderInfo(dir);
  const thread = await startThread<{ fallbacks: ProviderFallback[] }>(
    new URL('./runner-worker.ts', import.meta.url),
    { dir, opts },
    { label: `${dir}: florence2 worker`, callFailed: (m) => `${dir}: ${m}` },
  );
  for (const f of thread.ready.fallbacks) recordFallback(f);
  type Remote = FeaturesRef & { handle: number };
  return {
    ...info,
    promptIds: (prefix) => info.promptIds(prefix),
    async encodeImages(pixels) {
      const handle = await thread.call<number>({ op: 'encode', pixels });
      return { handle, count: pixels.length } as Remote;
    },
    generate: (f, jobs, o = {}, search = 'auto') =>
      thread.call({ op: 'generate', handle: (f as Remote).handle, jobs, overrides: o, search }),
    freeFeatures: (f) => thread.call({ op: 'free', handle: (f as Remote).handle }),
    async release() {
      await thread.call({ op: 'release' }).catch(() => {});
      await thread.terminate();
    },
  };
}
