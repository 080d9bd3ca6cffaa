import type { InferenceSession } from 'onnxruntime-node';
import type { ExecutionProvider } from '../schemas/ort-config.ts';

/**
 * ORT settings per adapter: threads (0 lets ORT choose, all cores, which is wrong when several workers
 * share a machine) and execution providers.
 */
export interface ThreadOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  /** Where inference runs: its own worker thread (default, see ort-session.ts) or the calling thread. */
  inference?: 'worker' | 'inline';
  /**
   * Let ORT's intra-op pool threads spin-wait between ops (ORT's own default). Off here: with intra > 1
   * on a machine that workers share, the spinning thread burns a core the others need (batching bench:
   * 320-pixel conv net, intra 2, batch 1: 10.6 CPU ms/img spinning vs 5.3 not, wall time no better).
   */
  spinning?: boolean;
  /**
   * Sessions of the same model, each in its own worker thread with the threads above; a batch is split
   * among them (detector only for now). On CPU a conv net costs the same per image at any batch, so a
   * batch saves no work; what it can give is independent images for two cores at once, with none of
   * the per-op hand-offs that intra-op threads pay. Each replica holds its own copy of the weights.
   * Default 1.
   */
  replicas?: number;
  /** ORT's providers in order of preference (schemas/ort-config.ts); absent: CPU only. */
  executionProviders?: readonly ExecutionProvider[];
  /** A missing or failing GPU provider runs the model on CPU, recorded (ort-providers.ts); default false. */
  cpuFallback?: boolean;
}

/** Throws naming the first field that is not a whole number in its range. */
export function checkThreads(t: ThreadOptions = {}): void {
  const check = (v: number | undefined, what: string, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min))
      throw new Error(`${what} must be an integer >= ${min} (got ${v})`);
  };
  check(t.intraOpNumThreads, 'intraOpNumThreads', 0);
  check(t.interOpNumThreads, 'interOpNumThreads', 0);
  check(t.replicas, 'replicas', 1);
}

export function sessionOptions(t: ThreadOptions = {}): InferenceSession.SessionOptions {
  checkThreads(t);
  return {
    intraOpNumThreads: t.intraOpNumThreads ?? 1,
    interOpNumThreads: t.interOpNumThreads ?? 1,
    executionMode: (t.interOpNumThreads ?? 1) > 1 ? 'parallel' : 'sequential',
    graphOptimizationLevel: 'all',
    // flattened by onnxruntime-common into the config entry session.intra_op.allow_spinning
    extra: { session: { intra_op: { allow_spinning: t.spinning ? '1' : '0' } } },
    ...(t.executionProviders && { executionProviders: t.executionProviders.map((p) => ({ ...p })) }),
  };
}

export function describeThreads(t: ThreadOptions = {}): string {
  return `intra=${t.intraOpNumThreads ?? 1} inter=${t.interOpNumThreads ?? 1} spinning=${t.spinning ? 'on' : 'off'} replicas=${t.replicas ?? 1} inference=${t.inference ?? 'worker'}${
    t.executionProviders
      ? ` providers=${t.executionProviders.map((p) => (p.deviceId === undefined ? p.name : `${p.name}:${p.deviceId}`)).join(',')}${t.cpuFallback ? '+cpu-fallback' : ''}`
      : ''
  }`;
}
