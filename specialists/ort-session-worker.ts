/**
 * Runs one ORT session in a worker thread (see ort-session.ts). onnxruntime-node's `run` blocks the
 * thread that calls it, so running it here keeps the main thread free for decoding the next batch
 * and for BullMQ lock renewal.
 */
import { workerData } from 'node:worker_threads';
import type ort from 'onnxruntime-node';
import { createSession } from './ort-providers.ts';
import { providerFallbacks } from './provider-fallbacks.ts';
import { runWire, type SessionReady, type WireTensor } from './ort-session.ts';
import { serveThread } from './thread-rpc-serve.ts';

const { path, options, cpuFallback } = workerData as {
  path: string;
  options: ort.InferenceSession.SessionOptions;
  cpuFallback: boolean;
};

await serveThread<{ op: 'run'; feeds: Record<string, WireTensor> }>(async () => {
  const session = await createSession(path, options, cpuFallback);
  const ready: SessionReady = {
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    inputMetadata: [...session.inputMetadata],
    outputMetadata: [...session.outputMetadata],
    fallbacks: providerFallbacks(),
  };
  return {
    ready,
    handle: (m) => runWire(session, m.feeds),
  };
});
