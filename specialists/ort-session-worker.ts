/**
 * Runs one ORT session in a worker thread (see ort-session.ts). onnxruntime-node's `run` blocks the
 * thread that calls it, so running it here keeps the main thread free for decoding the next batch
 * and for BullMQ lock renewal.
 */
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import type { WireTensor } from './ort-session.ts';

const port = parentPort!;
const { path, options } = workerData as { path: string; options: ort.InferenceSession.SessionOptions };

try {
  const session = await ort.InferenceSession.create(path, options);
  port.postMessage({
    kind: 'ready',
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata: session.inputMetadata,
    outputMetadata: session.outputMetadata,
  });
  port.on(
    'message',
    async (m: { kind: 'run'; id: number; feeds: Record<string, WireTensor> } | { kind: 'release' }) => {
      if (m.kind === 'release') {
        await session.release();
        port.postMessage({ kind: 'released' });
        return;
      }
      try {
        const feeds = Object.fromEntries(
          Object.entries(m.feeds).map(([k, t]) => [
            k,
            new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims),
          ]),
        );
        const out = await session.run(feeds);
        const outputs: Record<string, WireTensor> = {};
        for (const [k, v] of Object.entries(out))
          outputs[k] = { type: v.type, data: v.data as WireTensor['data'], dims: [...v.dims] };
        port.postMessage({ kind: 'result', id: m.id, outputs });
      } catch (e) {
        port.postMessage({ kind: 'error', id: m.id, message: (e as Error).message });
      }
    },
  );
} catch (e) {
  port.postMessage({ kind: 'failed', message: (e as Error).message });
}
