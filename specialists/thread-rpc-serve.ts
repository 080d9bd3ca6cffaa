/**
 * The worker-thread side of thread-rpc.ts: `open` builds what the thread serves; its `ready` value goes
 * to the caller, then each message is handed to `handle` and its result (or error message) sent back
 * under the message's id. A failed `open` is reported as a failed start.
 */
import { parentPort } from 'node:worker_threads';

export interface Served<Request> {
  ready?: unknown;
  handle(request: Request): Promise<unknown>;
}

export async function serveThread<Request>(open: () => Promise<Served<Request>>): Promise<void> {
  const port = parentPort!;
  try {
    const served = await open();
    port.postMessage({ kind: 'ready', value: served.ready ?? null });
    port.on('message', async (m: Request & { id: number }) => {
      try {
        port.postMessage({ kind: 'result', id: m.id, value: await served.handle(m) });
      } catch (e) {
        port.postMessage({ kind: 'error', id: m.id, message: (e as Error).message });
      }
    });
  } catch (e) {
    port.postMessage({ kind: 'failed', message: (e as Error).message });
  }
}
