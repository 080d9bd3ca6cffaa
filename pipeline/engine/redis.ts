import { Redis } from 'ioredis';
import { maskSecrets } from '../log.ts';

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/**
 * A Redis connection for BullMQ (`maxRetriesPerRequest: null`, as its workers require), opened only
 * after a quick probe succeeded, so a Redis that is down at start is one clear message naming the
 * URL (credentials masked) instead of a command that hangs retrying.
 */
export async function connectRedis(url: string, timeoutMs = 3000): Promise<Redis> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let cause: NodeJS.ErrnoException | null = null;
  probe.on('error', (e: NodeJS.ErrnoException) => (cause ??= e)); // connect() only says "Connection is closed"; this has the errno
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    const err = (cause ?? e) as NodeJS.ErrnoException;
    throw new RedisUnavailableError(`Redis at ${maskSecrets(url)} is not reachable (${err.code ?? err.message}); start it or point REDIS_URL / "redis" in fld.config.json at one`);
  } finally {
    probe.disconnect();
  }
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  redis.on('error', () => {}); // ioredis reconnects by itself; BullMQ surfaces failures per call
  return redis;
}
