/**
 * Hosts a Florence2Runner in a worker thread (see engine.ts): the whole decode loop, KV cache
 * included, stays on this thread, so no tensor crosses threads per step and the main thread stays free
 * for decoding the next batch and for BullMQ lock renewal.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ImageFeatures } from './generate.ts';
import { Florence2Runner, type Florence2RunnerOptions } from './runner.ts';

const port = parentPort!;
const { dir, opts } = workerData as { dir: string; opts: Florence2RunnerOptions };
const features = new Map<number, ImageFeatures>();
let nextHandle = 0;

type Request =
  | { id: number; op: 'encode'; pixels: Float32Array[] }
  | {
      id: number;
      op: 'generate';
      handle: number;
      jobs: Parameters<Florence2Runner['generate']>[1];
      overrides: Parameters<Florence2Runner['generate']>[2];
      search: Parameters<Florence2Runner['generate']>[3];
    }
  | { id: number; op: 'free'; handle: number }
  | { id: number; op: 'release' };

try {
  const runner = await Florence2Runner.load(dir, opts);
  port.postMessage({ kind: 'ready' });
  port.on('message', async (m: Request) => {
    try {
      let value: unknown = null;
      if (m.op === 'encode') {
        const h = nextHandle++;
        features.set(h, await runner.encodeImages(m.pixels));
        value = h;
      } else if (m.op === 'generate') {
        const f = features.get(m.handle);
        if (!f) throw new Error(`no encoded images under handle ${m.handle}`);
        value = await runner.generate(f, m.jobs, m.overrides, m.search);
      } else if (m.op === 'free') {
        features.delete(m.handle);
      } else if (m.op === 'release') {
        features.clear();
        await runner.release();
      }
      port.postMessage({ kind: 'result', id: m.id, value });
    } catch (e) {
      port.postMessage({ kind: 'error', id: m.id, message: (e as Error).message });
    }
  });
} catch (e) {
  port.postMessage({ kind: 'failed', message: (e as Error).message });
}
