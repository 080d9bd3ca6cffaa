import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { EngineConfig } from '../../schemas/config.ts';
import { createLogger } from '../log.ts';
import { openStorage } from '../storage/open-storage.ts';
import { AdapterPool, adapterFactory, type AdapterFactory } from './adapters.ts';
import { ImageSource } from '../storage/image-source.ts';
import { publishProviderFallbacks } from './fallback-status.ts';
import { connectRedis } from './redis.ts';
import { RoundQueue } from './round-queue.ts';
import type { Services } from './services.ts';

/** Storage, models and image reader of one process, without Redis (the in-process executor). */
export function openServices(
  config: EngineConfig,
  opts: { log?: Logger; adapters?: AdapterFactory } = {},
): Services & { close(): Promise<void> } {
  const storage = openStorage(config.storage);
  const adapters = new AdapterPool(opts.adapters ?? adapterFactory(config.ort));
  const images = new ImageSource();
  return {
    storage,
    adapters,
    images,
    log: opts.log ?? createLogger(),
    decodeBudgetMB: config.decodeBudgetMB,
    async close() {
      await adapters.close();
      await images.close();
      await storage.close();
    },
  };
}

/** Services plus Redis (checked first: a Redis that is down is one clear error) and the round queue. */
export async function openEngine(
  config: EngineConfig,
  opts: { log?: Logger; adapters?: AdapterFactory } = {},
): Promise<{ q: RoundQueue; services: Services; close(): Promise<void> }> {
  const redis = await connectRedis({ url: config.redis, ca: config.redisCa });
  const services = openServices(config, opts);
  const q = new RoundQueue(redis, config.queuePrefix, services.storage);
  // a model that runs on CPU instead of its GPU provider shows in `fld status`
  const unpublish = publishProviderFallbacks(redis, config.queuePrefix, `${hostname()}:${process.pid}`, (e) =>
    services.log.warn({ err: e.message }, 'could not publish an execution-provider fallback'),
  );
  return {
    q,
    services,
    async close() {
      await unpublish();
      await q.close();
      await services.close();
      redis.disconnect();
    },
  };
}
