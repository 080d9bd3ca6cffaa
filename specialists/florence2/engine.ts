/**
 * What the adapter drives: a Florence2Runner on this thread (`inline`) or in its own worker thread
 * (`worker`, the default, as for the other specialists: onnxruntime-node's `run` blocks the thread
 * that calls it). Tokenizer, task table and image config are read on this thread in both cases.
 */
import { Worker } from 'node:worker_threads';
import type { TaskTable } from '../../schemas/florence2-tasks.ts';
import type { Florence2ImageConfig } from '../image/florence2-preprocess.ts';
import type { GenJob } from './generate.ts';
import { Florence2Runner, loadFolderInfo, type Florence2RunnerOptions, type GenerationOutput } from './runner.ts';
import type { GenerationOverrides } from './settings.ts';
import type { Florence2Tokenizer } from './tokenizer.ts';

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
  const api = import.meta.resolve('tsx/esm/api');
  const child = new URL('./runner-worker.ts', import.meta.url).href;
  // a worker does not inherit `--import tsx`: it registers tsx itself before loading the TypeScript module
  const worker = new Worker(
    `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(child)}); })`,
    { eval: true, workerData: { dir, opts } },
  );
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let dead: Error | null = null;
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m) => {
      if (m.kind === 'ready') resolve();
      else if (m.kind === 'failed') reject(new Error(m.message));
      else {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.kind === 'result') p?.resolve(m.value);
        else p?.reject(new Error(`${dir}: ${m.message}`));
      }
    });
    const fail = (e: Error) => {
      dead = e;
      reject(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    };
    worker.on('error', (e) => fail(new Error(`${dir}: florence2 worker failed: ${e.message}`)));
    worker.on('exit', (code) => fail(new Error(`${dir}: florence2 worker exited (code ${code})`)));
  }).catch(async (e) => {
    await worker.terminate();
    throw e;
  });
  const call = <T>(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...msg, id }, transfer);
    });
  };
  type Remote = FeaturesRef & { handle: number };
  return {
    ...info,
    promptIds: (prefix) => info.promptIds(prefix),
    async encodeImages(pixels) {
      const handle = await call<number>({ op: 'encode', pixels });
      return { handle, count: pixels.length } as Remote;
    },
    generate: (f, jobs, o = {}, search = 'auto') =>
      call({ op: 'generate', handle: (f as Remote).handle, jobs, overrides: o, search }),
    freeFeatures: (f) => call({ op: 'free', handle: (f as Remote).handle }),
    async release() {
      await call({ op: 'release' }).catch(() => {});
      worker.removeAllListeners('exit');
      worker.on('exit', () => {});
      await worker.terminate();
    },
  };
}
