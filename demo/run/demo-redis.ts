import { connectRedis, scanNodes } from '../../pipeline/engine/redis.ts';
import { maskSecrets } from '../../pipeline/log.ts';
import { startPrivateRedis } from './private-redis.ts';

export interface DemoRedis {
  url: string;
  /** True when the demo started its own redis-server (stopped by `close`). */
  private: boolean;
  /** Deletes the run's queue keys (shared Redis) or stops the private server. */
  close(): Promise<void>;
}

/**
 * The Redis the demo runs on: the configured one (REDIS_URL / 127.0.0.1:6379) when it answers, else
 * a private `redis-server` on a free loopback port, so `npm run demo` works on a fresh machine with
 * only the Redis binary installed. On a shared Redis the run's keys (all under its own queue prefix)
 * are deleted at close, so runs leave nothing behind and two runs side by side never share jobs.
 */
export async function redisForDemo(url: string, prefix: string, say: (line: string) => void): Promise<DemoRedis> {
  let why: string;
  try {
    (await connectRedis(url, 1500)).disconnect();
    say(`Redis: ${maskSecrets(url)} (queue prefix ${prefix})`);
    return { url, private: false, close: async () => void (await deleteKeys(url, prefix)) };
  } catch (e) {
    why = (e as Error).message;
  }
  try {
    const r = await startPrivateRedis();
    say(`Redis: ${why}; started a private redis-server on ${r.url} (pid ${r.pid}), stopped at the end`);
    return { url: r.url, private: true, close: r.stop };
  } catch (e) {
    throw Object.assign(new Error(`demo: ${why}, and no private one could be started: ${(e as Error).message}`), {
      exitCode: 1,
    });
  }
}

/** Deletes every key under a queue prefix (a hash tag, so on a cluster they all live on one node). */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const redis = await connectRedis(url, 3000);
  let n = 0;
  try {
    for (const node of scanNodes(redis)) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) n += await node.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  return n;
}
