import type { InferenceSession } from 'onnxruntime-node';

/** ORT thread settings per adapter; 0 lets ORT choose (all cores), which is wrong when several workers share a machine. */
export interface ThreadOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  /** Where inference runs: its own worker thread (default, see ort-session.ts) or the calling thread. */
  inference?: 'worker' | 'inline';
}

export function sessionOptions(t: ThreadOptions = {}): InferenceSession.SessionOptions {
  const check = (v: number | undefined, what: string) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new Error(`${what} must be an integer >= 0 (got ${v})`);
  };
  check(t.intraOpNumThreads, 'intraOpNumThreads');
  check(t.interOpNumThreads, 'interOpNumThreads');
  return {
    intraOpNumThreads: t.intraOpNumThreads ?? 1,
    interOpNumThreads: t.interOpNumThreads ?? 1,
    executionMode: (t.interOpNumThreads ?? 1) > 1 ? 'parallel' : 'sequential',
    graphOptimizationLevel: 'all',
  };
}

export function describeThreads(t: ThreadOptions = {}): string {
  return `intra=${t.intraOpNumThreads ?? 1} inter=${t.interOpNumThreads ?? 1} inference=${t.inference ?? 'worker'}`;
}
