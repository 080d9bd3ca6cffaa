// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ImageSource } from '../../../pipeline/storage/image-source.ts';

/**
 * One reader for every image uri a source accepts, against a real HTTP server on loopback: web images
 * are fetched with a timeout, retries on 5xx and a size cap, and every failure is the image's error,
 * not the job's.
 */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6360000000000500010d0a2db40000000049454e44ae426082',
  'hex',
);
let server: Server;
let base = '';
let dir = '';
let flaky = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fld-image-source-'));
  writeFileSync(join(dir, 'a.png'), PNG);
  server = createServer((req, res) => {
    if (req.url === '/ok.png') return res.end(PNG);
    if (req.url === '/missing.png') {
      res.statusCode = 404;
      return res.end('no');
    }
    if (req.url === '/flaky.png') {
      if (flaky++ < 1) {
        res.statusCode = 503;
        return res.end('busy');
      }
      return res.end(PNG);
    }
    if (req.url === '/down.png') {
      res.statusCode = 500;
      return res.end('down');
    }
    if (req.url === '/big.png') {
      res.setHeader('content-length', String(10_000));
      return res.end(Buffer.alloc(10_000));
    }
    if (req.url === '/chunked-big.png') {
      res.write(Buffer.alloc(600));
      res.write(Buffer.alloc(600));
      return res.end();
    }
    if (req.url === '/slow.png') return; // never answers
    res.statusCode = 400;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test("local paths and file:// read; a missing file or a relative path is the image's error", async () => {
  const s = new ImageSource();
  assert.deepEqual(await s.read(join(dir, 'a.png')), { bytes: PNG });
  assert.deepEqual(await s.read(pathToFileURL(join(dir, 'a.png')).href), { bytes: PNG });
  assert.match(((await s.read(join(dir, 'gone.png'))) as { error: string }).error, /cannot read .*gone\.png: ENOENT/);
  assert.match(((await s.read('photos/a.png')) as { error: string }).error, /not an absolute path/);
  await s.close();
});

test('http(s): fetched; 4xx at once, 5xx retried, a size cap on declared and sent bytes, a timeout; each an error naming the uri', async () => {
  const s = new ImageSource({ timeoutMs: 300, retries: 2, maxBytes: 1000 });
  assert.deepEqual(await s.read(`${base}/ok.png`), { bytes: PNG });
  assert.deepEqual(await s.read(`${base}/flaky.png`), { bytes: PNG }, 'one 503, then the image');
  assert.equal(
    ((await s.read(`${base}/missing.png`)) as { error: string }).error,
    `cannot fetch ${base}/missing.png: HTTP 404`,
  );
  assert.equal(
    ((await s.read(`${base}/down.png`)) as { error: string }).error,
    `cannot fetch ${base}/down.png: HTTP 500 (after 3 tries)`,
  );
  assert.match(((await s.read(`${base}/big.png`)) as { error: string }).error, /10000 bytes, over the 1000-byte cap/);
  assert.match(((await s.read(`${base}/chunked-big.png`)) as { error: string }).error, /over the 1000-byte cap/);
  assert.match(
    ((await s.read(`${base}/slow.png`)) as { error: string }).error,
    /no answer in 300 ms \(after 3 tries\)/,
  );
  await s.close();
});
