// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, writeImage } from '../sources/fixtures.ts';

/** A manifest of web images: the round fetches them (pipeline/storage/image-source.ts); one that is gone is an error row naming its uri. */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
let t: ReturnType<typeof tempDir>;
let server: Server;
let base = '';

before(async () => {
  t = tempDir();
  await writeImage(join(t.dir, 'a.png'), 64, 48);
  const png = readFileSync(join(t.dir, 'a.png'));
  server = createServer((req, res) => {
    if (req.url === '/a.png' || req.url === '/b.png') return res.end(png);
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  t.done();
});

test('fld run on http(s) uris: the images are fetched and annotated, a 404 is one error row', async () => {
  const manifest = join(t.dir, 'web.jsonl');
  writeFileSync(
    manifest,
    [`${base}/a.png`, `${base}/b.png`, `${base}/gone.png`].map((uri) => JSON.stringify({ uri })).join('\n') + '\n',
  );
  const config = join(t.dir, 'web.json');
  writeFileSync(
    config,
    JSON.stringify({ storage: join(t.dir, 'data'), specialists: { detector: join(REPO, 'models', 'demo-detector') } }),
  );
  // async spawn: the server above answers from this process's event loop
  const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const p = spawn(
      process.execPath,
      [join(REPO, 'bin', 'fld.js'), 'run', manifest, '--collection', 'web', '--config', config],
      { cwd: t.dir, env: { ...process.env, FLD_LOG_LEVEL: 'warn' } },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
  });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /web round 0: 1 shards, 3 images, 0 skipped, 1 errors/);
  assert.match(r.err, new RegExp(`cannot fetch ${base.replaceAll('.', '\\.')}/gone\\.png: HTTP 404`));
});
