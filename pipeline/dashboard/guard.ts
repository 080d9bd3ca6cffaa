import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

/**
 * What stands between the board and whoever can reach its port. bull-board's API changes queues
 * (add, retry, pause, clean, obliterate) with plain HTTP requests, so a page on any other site the
 * operator has open could send them to a loopback dashboard (a cross-origin form post needs no
 * CORS), or read it through a DNS name rebound to 127.0.0.1. Hence: only the dashboard's own host
 * names are served (rebinding), a request from another origin is refused (cross-site writes),
 * writes are off unless asked for, and beyond loopback every request needs a token.
 */

export interface GuardOptions {
  /** The address the server binds. */
  host: string;
  /** Further names it is reached by (a DNS name, a proxy's host). */
  allowHosts?: string[];
  /** Required on every request when set; must be set when `host` is beyond loopback. */
  token?: string | null;
  /** bull-board's write actions; off: any request but GET and HEAD is refused. */
  allowActions?: boolean;
}

export const TOKEN_COOKIE = 'fld_dashboard_token';

const strip = (h: string): string => h.toLowerCase().replace(/^\[(.*)\]$/, '$1');

export const isWildcard = (host: string): boolean => ['', '0.0.0.0', '::', '[::]'].includes(host);

export function isLoopback(host: string): boolean {
  const h = strip(host);
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/** A token for a dashboard that binds beyond loopback and was given none. */
export const newToken = (): string => randomBytes(24).toString('base64url');

/** Host names a request may carry: loopback ones, the bound address (every local address for a wildcard), the extra names. */
export function allowedHostNames(o: Pick<GuardOptions, 'host' | 'allowHosts'>): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  if (isWildcard(o.host)) {
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(strip(a.address));
  } else {
    names.add(strip(o.host));
  }
  for (const h of o.allowHosts ?? []) names.add(strip(h));
  return names;
}

/** The name part of a Host header (`name`, `name:port`, `[v6]:port`), lower case, or null when it is not one. */
export function hostNameOf(header: string | undefined): string | null {
  if (!header || /[/@?#\\\s]/.test(header)) return null;
  try {
    return strip(new URL(`http://${header}`).hostname);
  } catch {
    return null;
  }
}

function sameSecret(given: string, want: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(want).digest();
  return timingSafeEqual(a, b);
}

const refuse = (c: Context, status: 401 | 403 | 405, message: string) => c.text(`fld dashboard: ${message}\n`, status);

export function dashboardGuard(o: GuardOptions): MiddlewareHandler {
  if (!o.token && !isLoopback(o.host))
    throw new Error(`dashboard: binding ${o.host || 'every address'} (beyond loopback) needs a token`);
  const hosts = allowedHostNames(o);
  return async (c, next) => {
    const hostHeader = c.req.header('host');
    const name = hostNameOf(hostHeader);
    if (!name || !hosts.has(name))
      return refuse(
        c,
        403,
        `Host ${JSON.stringify(hostHeader ?? '')} is not a name of this dashboard (add one with --allow-host)`,
      );

    const method = c.req.method.toUpperCase();
    const safe = method === 'GET' || method === 'HEAD';
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      let originHost: string | null = null;
      try {
        originHost = new URL(origin).host.toLowerCase();
      } catch {
        /* "null" (a sandboxed page, a file) or garbage: never our own origin */
      }
      if (originHost !== hostHeader!.toLowerCase())
        return refuse(c, 403, `requests from another origin (${origin}) are refused`);
    }
    // Browsers that send no Origin on a write still say where it came from.
    const site = c.req.header('sec-fetch-site');
    if (!safe && site !== undefined && site !== 'same-origin' && site !== 'none')
      return refuse(c, 403, `a ${site} ${method} is refused`);

    if (o.token) {
      const bearer = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      const given = bearer ?? getCookie(c, TOKEN_COOKIE);
      if (!(given !== undefined && sameSecret(given, o.token))) {
        const query = c.req.query('token');
        if (safe && query !== undefined && sameSecret(query, o.token)) {
          // Once: the token moves from the URL (history, logs, Referer) into a cookie no script reads.
          setCookie(c, TOKEN_COOKIE, o.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
          const u = new URL(c.req.url);
          u.searchParams.delete('token');
          return c.redirect(`${u.pathname}${u.search}`, 303);
        }
        return refuse(
          c,
          401,
          'this dashboard needs its token: open the URL with ?token=... that fld dashboard printed, or send Authorization: Bearer <token>',
        );
      }
    }

    if (!safe && !o.allowActions)
      return refuse(
        c,
        405,
        `${method} is refused: the board is read-only (start fld dashboard with --allow-actions to retry, add, pause or delete jobs)`,
      );
    await next();
  };
}
