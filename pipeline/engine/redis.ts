import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { maskSecrets } from '../log.ts';
import { parseRedisUrl, type RedisTarget } from './redis-url.ts';

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** A single server or a cluster: BullMQ, the round queue and the dashboard take either. */
export type RedisConn = Redis | Cluster;

/** The connection settings of a config: the URL (config `redis` / REDIS_URL) and the TLS CA file (`redisCa` / FLD_REDIS_CA). */
export interface RedisSettings {
  url: string;
  ca?: string | null;
}

const settingsOf = (s: RedisSettings | string): RedisSettings => (typeof s === 'string' ? { url: s } : s);

/**
 * The one place a Redis connection is made (engine, workers, enqueue, status, retry, dashboard, tests).
 * `extra` are per-connection ioredis options (they apply to every node of a cluster).
 */
export function newRedis(target: RedisTarget, extra: RedisOptions = {}, clusterExtra: ClusterOptions = {}): RedisConn {
  const node: RedisOptions = {
    username: target.username,
    password: target.password,
    // TLS checks the certificate against the host name or IP in the URL (the certificate's SAN).
    tls: target.tls ? (target.ca ? { ca: target.ca } : {}) : undefined,
    ...extra,
  };
  if (!target.cluster)
    return new Redis({ host: target.nodes[0]!.host, port: target.nodes[0]!.port, db: target.db, ...node });
  return new Cluster(target.nodes, {
    redisOptions: node,
    // Slot map refreshes name nodes by IP; keep TLS verifying against the name the seeds were given by.
    ...(target.tls
      ? { dnsLookup: (address: string, cb: (err: Error | null, address: string) => void) => cb(null, address) }
      : {}),
    ...clusterExtra,
  });
}

const AUTH_ERROR = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;

function reason(err: NodeJS.ErrnoException, settings: RedisSettings): string {
  const msg = maskSecrets(err.message ?? String(err));
  if (AUTH_ERROR.test(msg))
    return `refused the credentials (${msg.split('\n')[0]}); check the user and password in the URL`;
  if (/certificate|self[- ]signed|SSL|TLS|ERR_TLS/i.test(`${err.code ?? ''} ${msg}`))
    return `failed the TLS handshake (${err.code ?? msg}); ${settings.ca ? `is ${settings.ca} the CA that signed the server's certificate?` : 'set FLD_REDIS_CA (or "redisCa" in the config) to the CA file'}`;
  return `is not reachable (${err.code ?? msg}); start it or point REDIS_URL / "redis" in fld.config.json at one`;
}

/**
 * A Redis connection for BullMQ (`maxRetriesPerRequest: null`, as its workers require), opened only
 * after a quick probe succeeded, so a Redis that is down, refuses the password or fails TLS at start
 * is one clear message naming the URL (credentials masked) instead of a command that hangs retrying.
 */
export async function connectRedis(settings: RedisSettings | string, timeoutMs = 3000): Promise<RedisConn> {
  const s = settingsOf(settings);
  const target = parseRedisUrl(s.url, { caFile: s.ca });
  const probe = newRedis(
    target,
    {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    },
    { lazyConnect: true, clusterRetryStrategy: () => null, enableOfflineQueue: false, slotsRefreshTimeout: timeoutMs },
  );
  let cause: NodeJS.ErrnoException | null = null;
  // connect() only says "Connection is closed" / "None of startup nodes is available"; the error events have the cause.
  probe.on('error', (e: NodeJS.ErrnoException) => (cause ??= e));
  probe.on('node error', (e: NodeJS.ErrnoException) => (cause ??= e));
  try {
    await probe.connect();
    await probe.ping();
    if (probe instanceof Cluster) {
      const info = await probe.cluster('INFO');
      if (!/cluster_state:ok/.test(info))
        throw new Error(`cluster_state is not ok: ${/cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown'}`);
    }
  } catch (e) {
    const err = ((e as Error).message?.startsWith('cluster_state') ? e : (cause ?? e)) as NodeJS.ErrnoException;
    throw new RedisUnavailableError(`Redis at ${maskSecrets(s.url)} ${reason(err, s)}`);
  } finally {
    probe.disconnect();
  }
  const redis = newRedis(target, { maxRetriesPerRequest: null });
  redis.on('error', () => {}); // ioredis reconnects by itself; BullMQ surfaces failures per call
  // A cluster knows its nodes only once the slot map is loaded (scanNodes needs them).
  if (redis instanceof Cluster) await redis.ping();
  return redis;
}

/** The nodes to SCAN: a cluster spreads keys over its masters (SCAN on a Cluster handle hits one node). */
export function scanNodes(r: RedisConn): Redis[] {
  return r instanceof Cluster ? r.nodes('master') : [r];
}
