import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Queue } from 'bullmq';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { maskSecrets } from '../log.ts';
import type { Storage } from '../storage/storage.ts';
import { connectRedis, type RedisConn } from '../engine/redis.ts';
import { dashboardGuard } from './guard.ts';
import { discoverQueueNames, queueList } from './queues.ts';
import { errorPage, indexPage, parseCollectionParam, parseRoundParam, reportPage } from './stats-page.ts';

export interface DashboardOptions {
  redisUrl: string;
  /** CA file for rediss:// (config `redisCa`). */
  redisCa?: string | null;
  /** The flow's hash tag, e.g. `{fld}`. */
  queuePrefix: string;
  /** The storage the rounds and stats pages read (a local folder or an S3 prefix); the caller closes it. */
  storage: Storage;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Defaults for /stats without query parameters. */
  collection?: string;
  round?: number;
  /** bull-board's write actions (retry, add, pause, clean, delete); off unless asked for. */
  allowActions?: boolean;
  /** Required on every request when set; a host beyond loopback cannot start without one (guard.ts). */
  token?: string | null;
  /** Host names besides the bound address and loopback that requests may carry. */
  allowHosts?: string[];
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

/** Queues created by an enqueue after the dashboard started show up at most this long after. */
const REDISCOVER_MS = 5000;

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  // Fails fast with the (masked) URL when Redis is not there, instead of the board retrying silently.
  const redis = await connectRedis({ url: o.redisUrl, ca: o.redisCa }).catch((e: Error) => {
    throw new Error(`dashboard: ${e.message}`);
  });
  try {
    return await serveBoard(o, redis);
  } catch (e) {
    redis.disconnect();
    throw e;
  }
}

async function serveBoard(o: DashboardOptions, redis: RedisConn): Promise<Dashboard> {
  const guard = dashboardGuard({
    host: o.host,
    allowHosts: o.allowHosts,
    token: o.token,
    allowActions: o.allowActions,
  });
  // ioredis reconnects by itself; without a listener an outage would crash the process.
  redis.on('error', (e) => process.stderr.write(`dashboard: redis: ${maskSecrets(e.message)}\n`));

  const board = new HonoAdapter(serveStatic);
  board.setBasePath('/queues');
  const queues = new Map<string, Queue>();
  const { replaceQueues } = createBullBoard({
    queues: [],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'fld-engine', miscLinks: [{ text: 'Stats', url: '/stats' }] } },
  });
  let lastDiscovery = 0;
  const refresh = async (): Promise<void> => {
    if (Date.now() - lastDiscovery < REDISCOVER_MS) return;
    lastDiscovery = Date.now();
    // skipMetasUpdate: a Queue object otherwise writes `<prefix>:<name>:meta`, and looking must not
    // create the queues it shows (nor make them look "discovered" to the next dashboard).
    for (const name of queueList(await discoverQueueNames(redis, o.queuePrefix))) {
      if (queues.has(name)) continue;
      try {
        queues.set(name, new Queue(name, { connection: redis, prefix: o.queuePrefix, skipMetasUpdate: true }));
      } catch (e) {
        // one odd key under the prefix must not take the whole board down
        process.stderr.write(`dashboard: not showing queue ${JSON.stringify(name)}: ${(e as Error).message}\n`);
      }
    }
    replaceQueues([...queues.values()].map((q) => new BullMQAdapter(q, { readOnlyMode: !o.allowActions })));
  };
  await refresh();

  const app = new Hono();
  app.use('*', guard);
  app.get('/', (c) => c.redirect('/queues'));
  app.use('/queues', async (_c, next) => {
    await refresh();
    await next();
  });
  app.use('/queues/*', async (_c, next) => {
    await refresh();
    await next();
  });
  app.route('/queues', board.registerPlugin());
  app.get('/stats', async (c) => {
    let round: number | undefined;
    let diff: number | undefined;
    let collection: string | undefined;
    try {
      round = parseRoundParam('round', c.req.query('round')) ?? o.round;
      diff = parseRoundParam('diff', c.req.query('diff'));
      collection = parseCollectionParam(c.req.query('collection')) ?? o.collection;
    } catch (e) {
      const bad = errorPage(e as Error);
      return c.html(bad.html, bad.status as ContentfulStatusCode);
    }
    if (round === undefined) return c.redirect('/rounds');
    const p = await reportPage({ storage: o.storage, collection, round, diff });
    return c.html(p.html, p.status as ContentfulStatusCode);
  });
  app.get('/rounds', async (c) => {
    const p = await indexPage(o.storage);
    return c.html(p.html, p.status as ContentfulStatusCode);
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: o.port, hostname: o.host }, () => resolve(s as Server)) as Server;
    s.once('error', (e: Error) => reject(new Error(`dashboard: cannot listen on ${o.host}:${o.port}: ${e.message}`)));
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}/`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...queues.values()].map((q) => q.close()));
      await redis.quit();
    },
  };
}
