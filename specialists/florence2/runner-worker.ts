/**
 * Hosts a Florence2Runner in a worker thread (see engine.ts): the whole decode loop, KV cache
 * included, stays on this thread, so no tensor crosses threads per step and the main thread stays free
 * for decoding the next batch and for BullMQ lock renewal.
 */
import { workerData } from 'node:worker_threads';
import { providerFallbacks } from '../provider-fallbacks.ts';
import { serveThread } from '../thread-rpc-serve.ts';
import type { ImageFeatures } from './decode-loop.ts';
import { Florence2Runner, type Florence2RunnerOptions } from './runner.ts';

const { dir, opts } = workerData as { dir: string; opts: Florence2RunnerOptions };
const features = new Map<number, ImageFeatures>();
let nextHandle = 0;

type Request =
  | { op: 'encode'; pixels: Float32Array[] }
  | {
      op: 'generate';
      handle: number;
      jobs: Parameters<Florence2Runner['generate']>[1];
      overrides: Parameters<Florence2Runner['generate']>[2];
      search: Parameters<Florence2Runner['generate']>[3];
    }
  | { op: 'free'; handle: number }
  | { op: 'release' };

await serveThread<Request>(async () => {
  const runner = await Florence2Runner.load(dir, opts);
  return {
    // the sessions' provider fallbacks, recorded on the main thread (engine.ts)
    ready: { fallbacks: providerFallbacks() },
    async handle(m) {
      if (m.op === 'encode') {
        const h = nextHandle++;
        features.set(h, await runner.encodeImages(m.pixels));
        return h;
      }
      if (m.op === 'generate') {
        const f = features.get(m.handle);
        if (!f) throw new Error(`no encoded images under handle ${m.handle}`);
        return runner.generate(f, m.jobs, m.overrides, m.search);
      }
      if (m.op === 'free') features.delete(m.handle);
      else if (m.op === 'release') {
        features.clear();
        await runner.release();
      }
      return null;
    },
  };
});
