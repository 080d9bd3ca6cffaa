/**
 * Calls into a TypeScript module running in its own worker thread (onnxruntime-node's `run` blocks the
 * thread that calls it, so the ORT sessions and the Florence-2 runner live in one). The module serves
 * with `serveThread` (thread-rpc-serve.ts). Once the thread dies, every pending call and every later
 * one is rejected with the cause.
 */
import { Worker } from 'node:worker_threads';

export interface ThreadRpcOptions {
  /** Names the thread in its own failures: `${label} failed: ...`, `${label} exited (code N)`. */
  label: string;
  /** The error text of a start that failed in the module (default: the module's message). */
  startFailed?: (message: string) => string;
  /** The error text of a call that failed in the module (default: the module's message). */
  callFailed?: (message: string) => string;
}

export interface ThreadRpc<Ready> {
  /** What the module sent once it was ready. */
  readonly ready: Ready;
  /** Posts `{ ...message, id }` (buffers in `transfer` move, not copied) and resolves with the module's value. */
  call<T>(message: Record<string, unknown>, transfer?: ArrayBuffer[]): Promise<T>;
  /** Ends the thread; pending calls are not rejected. */
  terminate(): Promise<void>;
}

type Reply =
  | { kind: 'ready'; value: unknown }
  | { kind: 'failed'; message: string }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; message: string };

/** Starts `module` (a `.ts` file URL) in a worker thread with `workerData`; resolves once it is ready. */
export async function startThread<Ready>(
  module: URL,
  workerData: unknown,
  o: ThreadRpcOptions,
): Promise<ThreadRpc<Ready>> {
  const api = import.meta.resolve('tsx/esm/api');
  // A worker does not inherit `--import tsx`, so it registers tsx itself before loading the TypeScript module.
  const worker = new Worker(
    `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(module.href)}); })`,
    { eval: true, workerData },
  );
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let dead: Error | null = null;
  const ready = await new Promise<Ready>((resolve, reject) => {
    worker.on('message', (m: Reply) => {
      if (m.kind === 'ready') resolve(m.value as Ready);
      else if (m.kind === 'failed') reject(new Error(o.startFailed ? o.startFailed(m.message) : m.message));
      else {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.kind === 'result') p?.resolve(m.value);
        else p?.reject(new Error(o.callFailed ? o.callFailed(m.message) : m.message));
      }
    });
    const fail = (e: Error) => {
      dead = e;
      reject(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    };
    worker.on('error', (e) => fail(new Error(`${o.label} failed: ${e.message}`)));
    worker.on('exit', (code) => fail(new Error(`${o.label} exited (code ${code})`)));
  }).catch(async (e) => {
    await worker.terminate();
    throw e;
  });
  return {
    ready,
    call<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []) {
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        worker.postMessage({ ...message, id }, transfer);
      });
    },
    async terminate() {
      worker.removeAllListeners('exit');
      worker.on('exit', () => {});
      await worker.terminate();
    },
  };
}
