import { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';

/** A tensor as it crosses to and from the worker thread. */
export interface WireTensor {
  type: string;
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
  dims: number[];
}

/** The part of an ORT session the adapters use, wherever it runs. */
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  run(feeds: Record<string, WireTensor>): Promise<Record<string, WireTensor>>;
  release(): Promise<void>;
}

/**
 * Opens a model. `worker` (default) runs it in its own worker thread: onnxruntime-node's `run` is
 * synchronous on the calling thread (`setImmediate` then a blocking native call), so inline inference
 * stalls decoding of the next batch and every timer, BullMQ's lock renewal included. Input buffers
 * are transferred, not copied, and must not be used after `run`.
 */
export async function openSession(
  path: string,
  options: ort.InferenceSession.SessionOptions,
  where: 'worker' | 'inline' = 'worker',
): Promise<OrtSession> {
  if (where === 'inline') return inlineSession(await ort.InferenceSession.create(path, options));
  const api = import.meta.resolve('tsx/esm/api');
  const child = new URL('./ort-session-worker.ts', import.meta.url).href;
  // A worker does not inherit `--import tsx`, so it registers tsx itself before loading the TypeScript module.
  const worker = new Worker(
    `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(child)}); })`,
    { eval: true, workerData: { path, options } },
  );
  const pending = new Map<number, { resolve: (o: Record<string, WireTensor>) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let dead: Error | null = null;
  const ready = new Promise<{
    inputNames: string[];
    outputNames: string[];
    inputMetadata: ort.InferenceSession.ValueMetadata[];
    outputMetadata: ort.InferenceSession.ValueMetadata[];
  }>((resolve, reject) => {
    worker.on('message', (m) => {
      if (m.kind === 'ready') resolve(m);
      else if (m.kind === 'failed') reject(new Error(`${path}: ${m.message}`));
      else if (m.kind === 'result' || m.kind === 'error') {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.kind === 'result') p?.resolve(m.outputs);
        else p?.reject(new Error(`${path}: inference failed: ${m.message}`));
      }
    });
    const fail = (e: Error) => {
      dead = e;
      reject(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    };
    worker.on('error', (e) => fail(new Error(`${path}: ORT worker failed: ${e.message}`)));
    worker.on('exit', (code) => fail(new Error(`${path}: ORT worker exited (code ${code})`)));
  });
  const meta = await ready.catch(async (e) => {
    await worker.terminate();
    throw e;
  });
  return {
    ...meta,
    run(feeds) {
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      const transfer = Object.values(feeds)
        .map((t) => t.data.buffer)
        .filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ kind: 'run', id, feeds }, transfer);
      });
    },
    async release() {
      worker.removeAllListeners('exit');
      worker.on('exit', () => {});
      await worker.terminate();
    },
  };
}

function inlineSession(s: ort.InferenceSession): OrtSession {
  return {
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    inputMetadata: s.inputMetadata,
    outputMetadata: s.outputMetadata,
    async run(feeds) {
      const out = await s.run(
        Object.fromEntries(
          Object.entries(feeds).map(([k, t]) => [
            k,
            new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims),
          ]),
        ),
      );
      return Object.fromEntries(
        Object.entries(out).map(([k, v]) => [
          k,
          { type: v.type, data: v.data as WireTensor['data'], dims: [...v.dims] },
        ]),
      );
    },
    release: () => s.release(),
  };
}
