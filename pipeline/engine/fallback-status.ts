/**
 * Execution-provider fallbacks in Redis, for `fld status`: each process that opens the engine publishes
 * the models it runs on CPU instead of the GPU provider its config asked for
 * (specialists/provider-fallbacks.ts), under its name `host:pid` (the name BullMQ records on the jobs
 * it takes), and removes its entry when it closes. A process killed with SIGKILL leaves its entry;
 * `fld status` prints when each was recorded.
 */
import type { Redis, Cluster } from 'ioredis';
import {
  fallbackLine,
  onProviderFallback,
  providerFallbacks,
  type ProviderFallback,
} from '../../specialists/provider-fallbacks.ts';

export interface PublishedFallbacks {
  process: string;
  at: string;
  fallbacks: ProviderFallback[];
}

const keyOf = (prefix: string) => `${prefix}:engine:ort-fallbacks`;

/**
 * Publishes this process's fallbacks now and on each new one; the returned function stops and removes
 * the entry. `onError` hears a failed write (a fallback is news, not a reason to stop a worker).
 */
export function publishProviderFallbacks(
  redis: Redis | Cluster,
  prefix: string,
  process: string,
  onError: (e: Error) => void,
): () => Promise<void> {
  let published = false;
  const write = () => {
    const entry: PublishedFallbacks = { process, at: new Date().toISOString(), fallbacks: providerFallbacks() };
    published = true;
    redis.hset(keyOf(prefix), process, JSON.stringify(entry)).catch(onError);
  };
  if (providerFallbacks().length) write();
  const stop = onProviderFallback(write);
  return async () => {
    stop();
    if (published) await redis.hdel(keyOf(prefix), process).catch(onError);
  };
}

export async function readProviderFallbacks(redis: Redis | Cluster, prefix: string): Promise<PublishedFallbacks[]> {
  const all = await redis.hgetall(keyOf(prefix));
  return Object.values(all)
    .map((v) => JSON.parse(v) as PublishedFallbacks)
    .sort((a, b) => a.process.localeCompare(b.process));
}

/** One line per model of each process, for `fld status`. */
export function formatProviderFallbacks(list: readonly PublishedFallbacks[]): string[] {
  return list.flatMap((p) => p.fallbacks.map((f) => `  ! ${p.process} since ${p.at}: ${fallbackLine(f)}`));
}
