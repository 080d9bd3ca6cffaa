// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { connectRedis } from '../../pipeline/engine/redis.ts';
import { startPrivateRedis } from '../../demo/run/private-redis.ts';
import { redisForDemo } from '../../demo/run/demo-redis.ts';
import { redisServerCommand } from '../../demo/run/redis-server-bin.ts';

// These tests need a redis-server binary (Debian redis-tools, which scripts/setup-system.sh installs);
// without it they skip with this message rather than pass.
const bin = redisServerCommand() !== null;
const needsBinary = bin ? {} : { skip: 'no redis-server binary (install redis-tools)' };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test(
  'a private redis-server answers on a loopback port, keeps data while up, and is gone (process and port) after stop',
  needsBinary,
  async () => {
    const r = await startPrivateRedis();
    assert.match(r.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(alive(r.pid));
    const c = await connectRedis(r.url);
    await c.set('k', 'v');
    assert.equal(await c.get('k'), 'v');
    c.disconnect();
    await r.stop();
    assert.equal(alive(r.pid), false, 'redis-server process gone');
    await assert.rejects(connectRedis(r.url, 500), /not reachable/);
    await r.stop(); // a second stop is harmless
  },
);

test('two private servers run side by side on different ports', needsBinary, async () => {
  const [a, b] = await Promise.all([startPrivateRedis(), startPrivateRedis()]);
  try {
    assert.notEqual(a.port, b.port);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('no redis-server binary: one clear error saying what to install', async () => {
  await assert.rejects(
    startPrivateRedis({ bin: 'redis-server-that-does-not-exist' }),
    /redis-server-that-does-not-exist is not on the PATH .*REDIS_URL/,
  );
});

test('a server that exits at start: the error names it and quotes its output', async () => {
  // /bin/false exits at once with status 1, as a redis-server with a bad argument would.
  await assert.rejects(
    startPrivateRedis({ bin: '/bin/false', tries: 1 }),
    /\/bin\/false on 127\.0\.0\.1:\d+ exited with 1/,
  );
});

test('redisForDemo: no Redis at the URL -> a private one, stopped by close', needsBinary, async () => {
  const lines: string[] = [];
  const r = await redisForDemo('redis://127.0.0.1:1', '{demo-test}', (l) => lines.push(l));
  assert.equal(r.private, true);
  assert.notEqual(r.url, 'redis://127.0.0.1:1');
  assert.match(lines.join('\n'), /not reachable.*started a private redis-server/s);
  (await connectRedis(r.url)).disconnect();
  await r.close();
  await assert.rejects(connectRedis(r.url, 500), /not reachable/);
});

test("redisForDemo: a reachable Redis is used; close deletes the run's keys and only those", async () => {
  const prefix = `{demo-test-${process.pid}-${Date.now()}}`;
  const other = `{demo-other-${process.pid}-${Date.now()}}:k`;
  const r = await redisForDemo('redis://127.0.0.1:6379', prefix, () => {});
  assert.equal(r.private, false);
  const c = new Redis('redis://127.0.0.1:6379');
  try {
    await c.set(`${prefix}:a`, '1');
    await c.rpush(`${prefix}:fld.ocr:wait`, 'x');
    await c.set(other, '1');
    await r.close();
    assert.equal(await c.exists(`${prefix}:a`, `${prefix}:fld.ocr:wait`), 0);
    assert.equal(await c.get(other), '1');
  } finally {
    await c.del(other);
    c.disconnect();
  }
});
