import ort from 'onnxruntime-node';
import { createSession } from './ort-providers.ts';
import { type ProviderFallback, recordFallback } from './provider-fallbacks.ts';
import { startThread } from './thread-rpc.ts';

/** A tensor as it crosses to and from the worker thread. */
export interface WireTensor {
  type: string;
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
  dims: number[];
}

/** What the session's worker thread reports once the model is loaded. */
export interface SessionReady {
  inputNames: string[];
  outputNames: string[];
  inputMetadata: ort.InferenceSession.ValueMetadata[];
  outputMetadata: ort.InferenceSession.ValueMetadata[];
  /** Providers that thread fell back from (ort-providers.ts), recorded again on this thread. */
  fallbacks: ProviderFallback[];
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
 * are transferred, not copied, and must not be used after `run`. Execution providers are those of
 * `options`, with a missing GPU provider handled as ort-providers.ts says (`cpuFallback`).
 */
export async function openSession(
  path: string,
  options: ort.InferenceSession.SessionOptions,
  where: 'worker' | 'inline' = 'worker',
  cpuFallback = false,
): Promise<OrtSession> {
  if (where === 'inline') return inlineSession(await createSession(path, options, cpuFallback));
  const thread = await startThread<SessionReady>(
    new URL('./ort-session-worker.ts', import.meta.url),
    { path, options, cpuFallback },
    {
      label: `${path}: ORT worker`,
      // a provider refusal (ort-providers.ts) already names the model
      startFailed: (m) => (m.startsWith(`${path}: `) ? m : `${path}: ${m}`),
      callFailed: (m) => `${path}: inference failed: ${m}`,
    },
  );
  const { fallbacks, ...meta } = thread.ready;
  for (const f of fallbacks) recordFallback(f);
  return {
    ...meta,
    run(feeds) {
      const transfer = Object.values(feeds)
        .map((t) => t.data.buffer)
        .filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
      return thread.call({ op: 'run', feeds }, transfer);
    },
    release: () => thread.terminate(),
  };
}

function inlineSession(s: ort.InferenceSession): OrtSession {
  return {
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    inputMetadata: s.inputMetadata,
    outputMetadata: s.outputMetadata,
    run: (feeds) => runWire(s, feeds),
    release: () => s.release(),
  };
}

/** One run with tensors in their wire form, on whichever thread holds the session (here or ort-session-worker.ts). */
export async function runWire(
  s: ort.InferenceSession,
  feeds: Record<string, WireTensor>,
): Promise<Record<string, WireTensor>> {
  const out = await s.run(
    Object.fromEntries(
      Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims)]),
    ),
  );
  return Object.fromEntries(
    Object.entries(out).map(([k, v]) => [k, { type: v.type, data: v.data as WireTensor['data'], dims: [...v.dims] }]),
  );
}
