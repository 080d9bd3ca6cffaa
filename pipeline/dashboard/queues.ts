import { scanNodes, type RedisConn } from '../engine/redis.ts';
import { ALL_QUEUES } from '../engine/stages.ts';
import { TRAIN_QUEUE } from '../train/train-job.ts';

/**
 * The queues a worker can serve (the stages' queues, in pipeline order, and training's), read from
 * the engine's own lists so the board shows exactly those, even before a worker or enqueue created them.
 */
export const ENGINE_QUEUES: readonly string[] = [...ALL_QUEUES, TRAIN_QUEUE];

/**
 * Names of the queues that exist under `prefix` in Redis: BullMQ writes `<prefix>:<name>:meta` for
 * every queue it has used. SCAN, not KEYS, so a big production Redis is not blocked. The prefix is
 * a hash tag such as `{fld}`; glob specials in it are escaped so it matches literally. A name with a
 * `:` is no queue (BullMQ refuses such names): the engine keeps its own round state under the same
 * prefix, `<prefix>:engine:<collection>:<round>:meta` among it.
 */
export async function discoverQueueNames(redis: RedisConn, prefix: string): Promise<string[]> {
  const literal = prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
  const found = new Set<string>();
  for (const node of scanNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${literal}:*:meta`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) {
        const name = k.slice(prefix.length + 1, -':meta'.length);
        if (name && !name.includes(':')) found.add(name);
      }
    } while (cursor !== '0');
  }
  return [...found].sort();
}

/** The engine's fixed list first (in pipeline order), then any other queue found under the prefix. */
export function queueList(discovered: string[]): string[] {
  const fixed: string[] = [...ENGINE_QUEUES];
  return [...fixed, ...discovered.filter((n) => !fixed.includes(n))];
}
