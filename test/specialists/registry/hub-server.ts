import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface HubServer {
  url: string;
  /** Every request seen: path and Range header. */
  requests: { path: string; range: string | undefined }[];
  /** Paths whose next response is cut off after this many bytes (then the socket is destroyed). */
  dropOnce: Map<string, number>;
  /** When true the server answers every request with the whole file (200), as servers without Range support do. */
  ignoreRange: boolean;
  close(): Promise<void>;
}

/**
 * A loopback stand-in for the Hugging Face hub's `resolve/main` URLs, serving files from `root`
 * with Range support, and able to drop a connection mid-file once.
 */
export async function startHubServer(root: string): Promise<HubServer> {
  const requests: HubServer['requests'] = [];
  const dropOnce = new Map<string, number>();
  const hub: HubServer = {
    url: '',
    requests,
    dropOnce,
    ignoreRange: false,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    requests.push({ path, range: req.headers.range });
    let body: Buffer;
    try {
      body = await readFile(join(root, path));
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    let start = 0;
    const m = hub.ignoreRange ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416).end();
        return;
      }
      res.writeHead(206, {
        'content-length': body.length - start,
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      });
    } else {
      res.writeHead(200, { 'content-length': body.length });
    }
    const cut = dropOnce.get(path);
    if (cut !== undefined) {
      dropOnce.delete(path);
      res.write(body.subarray(start, start + cut), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  hub.url = `http://127.0.0.1:${port}`;
  return hub;
}
