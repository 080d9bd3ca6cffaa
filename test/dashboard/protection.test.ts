// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { writeFixture } from '../stats/fixture-rounds.ts';
import { fld, makeEnv, makeWorld, type Env } from '../pipeline/engine/harness.ts';
import { startDashboardChild, type DashboardChild } from './child.ts';

/**
 * `fld dashboard` with a round enqueued under its prefix, and what it refuses: other Host names,
 * other origins, writes unless --allow-actions, requests without the token beyond loopback, and a
 * stats collection that is a path out of the storage root.
 */
const connection = { host: '127.0.0.1', port: 6379 };
const prefix = `{fldtest-${randomBytes(4).toString('hex')}}`;
let base: string;
let root: string;
let merge: Queue;
let dash: DashboardChild;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so that Host, Origin and Sec-Fetch-Site are exactly what a browser or an attacker would send. */
function send(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const waiting = async (): Promise<number> => (await merge.getJobCounts('waiting')).waiting!;
const origin = (d: DashboardChild) => d.url.replace(/\/$/, '');

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'fld-dashboard-guard-'));
  root = join(base, 'root');
  mkdirSync(root);
  await writeFixture(root);
  // a round outside the storage root, which no query parameter may reach
  await writeFixture(join(base, 'elsewhere'));
  merge = new Queue('fld.merge', { connection, prefix });
  await merge.add('shard-00000', {});
  dash = await startDashboardChild(['--queue-prefix', prefix, '--root', root]);
});

after(async () => {
  const code = await dash?.stop();
  await merge.obliterate({ force: true });
  await merge.close();
  const redis = new Redis(connection);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  rmSync(base, { recursive: true, force: true });
  if (dash) assert.equal(code, 0, dash.output());
});

test('fld dashboard starts with a round enqueued under its prefix and lists only queues', async () => {
  const world = await makeWorld(10, 6);
  let env: Env | undefined;
  let d: DashboardChild | undefined;
  try {
    env = await makeEnv({ shardSize: 5, window: 1 });
    const r = await fld(
      ['enqueue', world.manifest, '--collection', 'c', '--config', env.configFile, '--annotations-only'],
      { cwd: env.dir },
    ).done;
    assert.equal(r.code, 0, r.stderr);
    const redis = new Redis(connection);
    try {
      assert.ok(
        (await redis.keys(`${env.prefix}:engine:c:0:meta`)).length,
        'the engine keeps its round under the prefix',
      );
    } finally {
      await redis.quit();
    }
    d = await startDashboardChild(['--config', env.configFile], { ...process.env, FLD_LOG_LEVEL: 'warn' });
    const res = await send(`${d.url}queues/api/queues`);
    assert.equal(res.status, 200, res.body);
    const names = (JSON.parse(res.body) as { queues: { name: string; counts: Record<string, number> }[] }).queues.map(
      (q) => q.name,
    );
    assert.ok(names.includes('fld.merge'), names.join(', '));
    assert.deepEqual(
      names.filter((n) => n.includes(':')),
      [],
    );
  } finally {
    const code = d ? await d.stop() : null;
    await env?.close();
    rmSync(world.dir, { recursive: true, force: true });
    if (d) assert.equal(code, 0, d.output());
  }
});

test('a cross-origin POST that adds a job (text/plain, as a form can send) is refused and adds nothing', async () => {
  const before = await waiting();
  const res = await send(`${dash.url}queues/api/queues/fld.merge/add`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Origin: 'http://evil.example' },
    body: JSON.stringify({ name: 'evil', data: { x: 1 }, options: {} }),
  });
  assert.equal(res.status, 403, res.body);
  assert.equal(await waiting(), before);
});

test('a cross-origin PUT that pauses a queue is refused; the queue keeps running', async () => {
  const res = await send(`${dash.url}queues/api/queues/fld.merge/pause`, {
    method: 'PUT',
    headers: { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' },
  });
  assert.equal(res.status, 403, res.body);
  assert.equal(await merge.isPaused(), false);
});

test("writes are off by default, even from the dashboard's own origin", async () => {
  const before = await waiting();
  const add = await send(`${dash.url}queues/api/queues/fld.merge/add`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: origin(dash) },
    body: JSON.stringify({ name: 'x', data: {} }),
  });
  assert.equal(add.status, 405, add.body);
  assert.match(add.body, /--allow-actions/);
  const pause = await send(`${dash.url}queues/api/queues/fld.merge/pause`, {
    method: 'PUT',
    headers: { Origin: origin(dash) },
  });
  assert.equal(pause.status, 405);
  assert.equal(await waiting(), before);
  assert.equal(await merge.isPaused(), false);
  // and the board itself says it is read-only, so its buttons are gone
  const list = JSON.parse((await send(`${dash.url}queues/api/queues`)).body) as {
    queues: { name: string; readOnlyMode: boolean }[];
  };
  assert.ok(
    list.queues.every((q) => q.readOnlyMode),
    JSON.stringify(list.queues.map((q) => [q.name, q.readOnlyMode])),
  );
});

test('a request whose Host is not a name of the dashboard (DNS rebinding) is refused', async () => {
  const port = new URL(dash.url).port;
  for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`]) {
    const res = await send(`${dash.url}queues/api/queues`, { headers: { Host: host } });
    assert.equal(res.status, 403, `${host}: ${res.body}`);
  }
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`])
    assert.equal((await send(`${dash.url}queues/api/queues`, { headers: { Host: host } })).status, 200, host);
});

test('/stats renders rounds under the storage root only: a collection that is a path is a 400', async () => {
  for (const collection of ['../elsewhere/fx', '../../..', '..', '/etc', 'fx/../../elsewhere/fx']) {
    const res = await send(`${dash.url}stats?${new URLSearchParams({ collection, round: '1' })}`);
    assert.equal(res.status, 400, `${collection}: ${res.status}`);
    assert.match(res.body, /collection must be a collection name under the storage root/);
    assert.doesNotMatch(res.body, /Table 2/);
  }
});

test("--allow-actions turns the writes on for the dashboard's own origin only", async () => {
  const d = await startDashboardChild(['--queue-prefix', prefix, '--root', root, '--allow-actions']);
  try {
    const before = await waiting();
    const body = JSON.stringify({ name: 'by-hand', data: {}, options: {} });
    const cross = await send(`${d.url}queues/api/queues/fld.merge/add`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Origin: 'http://evil.example' },
      body,
    });
    assert.equal(cross.status, 403);
    const own = await send(`${d.url}queues/api/queues/fld.merge/add`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: origin(d) },
      body,
    });
    assert.equal(own.status, 200, own.body);
    assert.equal(await waiting(), before + 1);
  } finally {
    assert.equal(await d.stop(), 0, d.output());
  }
});

test('bound beyond loopback, every request needs the token it printed (Bearer, or ?token= once, then its cookie)', async () => {
  const d = await startDashboardChild(['--queue-prefix', prefix, '--root', root, '--host', '0.0.0.0']);
  try {
    const url = d.url.replace('0.0.0.0', '127.0.0.1');
    const none = await send(`${url}queues/api/queues`);
    assert.equal(none.status, 401);
    assert.doesNotMatch(none.body, /fld\.merge/);
    const token = /token \(generated[^)]*\): (\S+)/.exec(d.output())?.[1];
    assert.ok(token && token.length >= 32, d.output());
    assert.equal((await send(`${url}queues/api/queues`, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
    assert.equal(
      (await send(`${url}queues/api/queues`, { headers: { Authorization: `Bearer ${token}` } })).status,
      200,
    );
    const first = await send(`${url}queues?token=${token}`);
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, '/queues');
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    assert.match(String(first.headers['set-cookie']), /HttpOnly/i);
    assert.match(String(first.headers['set-cookie']), /SameSite=Strict/i);
    assert.equal((await send(`${url}queues/api/queues`, { headers: { Cookie: cookie } })).status, 200);
    assert.equal((await send(`${url}stats?round=0&collection=fx&token=wrong`)).status, 401);
  } finally {
    assert.equal(await d.stop(), 0, d.output());
  }
});

test('a token set in the config file is the one asked for, is not printed, and a short one stops the command', async () => {
  const token = randomBytes(24).toString('hex');
  const cfg = join(base, 'dash.config.json');
  writeFileSync(cfg, JSON.stringify({ storage: root, dashboardToken: token }));
  const d = await startDashboardChild(['--queue-prefix', prefix, '--config', cfg, '--host', '0.0.0.0']);
  try {
    const url = d.url.replace('0.0.0.0', '127.0.0.1');
    // the URL line comes first; the rest of the banner follows it
    for (let i = 0; i < 100 && !d.output().includes('Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.doesNotMatch(d.output(), new RegExp(token));
    assert.match(d.output(), /token: from the config/);
    assert.equal((await send(`${url}queues/api/queues`)).status, 401);
    const ok = await send(`${url}queues/api/queues`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
  } finally {
    assert.equal(await d.stop(), 0, d.output());
  }
  writeFileSync(cfg, JSON.stringify({ storage: root, dashboardToken: 'short' }));
  await assert.rejects(
    startDashboardChild(['--queue-prefix', prefix, '--config', cfg, '--host', '0.0.0.0']),
    /dashboardToken.*at least 16 characters/,
  );
});
