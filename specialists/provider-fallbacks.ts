/**
 * The models of this process that run on another execution provider than the config asked for
 * (`ort.cpuFallback`, specialists/ort-providers.ts). Each fallback is kept once per model and provider
 * and, on the main thread, printed as one line; a worker thread's fallbacks travel to the main thread
 * in its ready message and are recorded there again. The engine publishes them for `fld status`
 * (pipeline/engine/fallback-status.ts).
 */
import { isMainThread } from 'node:worker_threads';

export interface ProviderFallback {
  /** The model file or folder. */
  model: string;
  /** The provider(s) asked for that could not run, e.g. `cuda`. */
  provider: string;
  /** Why, in one line (ORT's own message when it failed to start). */
  reason: string;
  /** What the session runs on instead, e.g. `cpu`. */
  runsOn: string;
}

const recorded = new Map<string, ProviderFallback>();
const listeners = new Set<(f: ProviderFallback) => void>();

export function fallbackLine(f: ProviderFallback): string {
  return `${f.model}: execution provider ${f.provider} not available (${f.reason}); running on ${f.runsOn} (ort.cpuFallback)`;
}

export function recordFallback(f: ProviderFallback): void {
  const key = `${f.model}\u0000${f.provider}`;
  if (recorded.has(key)) return;
  recorded.set(key, f);
  if (isMainThread) console.warn(fallbackLine(f));
  for (const l of listeners) l(f);
}

export function providerFallbacks(): ProviderFallback[] {
  return [...recorded.values()];
}

/** Calls `l` on each new fallback of this thread; returns the unsubscribe. */
export function onProviderFallback(l: (f: ProviderFallback) => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
