import { readFileSync } from 'node:fs';
import { maskSecrets } from '../log.ts';

/**
 * Where Redis is and how to talk to it, from one URL (config `redis` / env REDIS_URL):
 *
 * | form | what |
 * |---|---|
 * | `redis://[user:pass@]host:port[/db]` | one server |
 * | `rediss://...` | the same over TLS (CA file: config `redisCa` / env FLD_REDIS_CA, else the system CAs) |
 * | `redis+cluster://[user:pass@]host:port,host:port,...` | Redis Cluster, any reachable nodes as seeds |
 * | `rediss+cluster://...` | Redis Cluster over TLS |
 *
 * A URL names the cluster rather than a config flag, so one env variable moves a deployment between
 * a single Redis and a cluster, and a URL never means two things.
 */
export interface RedisTarget {
  cluster: boolean;
  tls: boolean;
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  db: number;
  /** PEM text of the CA that signed the server's certificate (rediss only). */
  ca?: string;
}

export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

const SCHEME = /^(rediss?)(\+cluster)?:\/\/(.*)$/i;

export function parseRedisUrl(url: string, opts: { caFile?: string | null } = {}): RedisTarget {
  const bad = (why: string) => new RedisUrlError(`Redis URL ${maskSecrets(url)}: ${why}`);
  const m = SCHEME.exec(url);
  if (!m) throw bad('must start with redis://, rediss://, redis+cluster:// or rediss+cluster://');
  const tls = m[1]!.toLowerCase() === 'rediss';
  const cluster = Boolean(m[2]);
  let rest = m[3]!;
  if (/[?#]/.test(rest)) throw bad('query options (?...) are not read; use the config fields (redisCa) instead');
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(':');
    const user = decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : auth);
    if (user) username = user;
    if (colon >= 0) password = decodeURIComponent(auth.slice(colon + 1));
  }
  const slash = rest.indexOf('/');
  const hosts = slash >= 0 ? rest.slice(0, slash) : rest;
  const dbText = slash >= 0 ? rest.slice(slash + 1) : '';
  if (dbText && !/^\d+$/.test(dbText)) throw bad(`database "${dbText}" is not a number`);
  const db = dbText ? Number(dbText) : 0;
  if (cluster && db !== 0) throw bad('Redis Cluster has only database 0');
  const nodes = hosts.split(',').map((h) => {
    const hp = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/.exec(h.trim());
    if (!hp) throw bad(`"${h}" is not host[:port]`);
    return { host: hp[1]!.replace(/^\[|\]$/g, ''), port: hp[2] ? Number(hp[2]) : 6379 };
  });
  if (!cluster && nodes.length !== 1) throw bad('several hosts need redis+cluster:// (or rediss+cluster://)');
  let ca: string | undefined;
  if (opts.caFile) {
    if (!tls) throw bad(`a CA file (${opts.caFile}) is set but the URL is not TLS; use rediss://`);
    try {
      ca = readFileSync(opts.caFile, 'utf8');
    } catch (e) {
      throw bad(
        `cannot read the CA file ${opts.caFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
  }
  return { cluster, tls, nodes, username, password, db, ca };
}
