// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineConfig } from '../../../schemas/config.ts';
import { maskSecrets } from '../../../pipeline/log.ts';
import { discoverQueueNames } from '../../../pipeline/dashboard/queues.ts';
import { roundPlanFor, writeImageShards } from '../../../pipeline/engine/enqueue.ts';
import { runRoundLocal } from '../../../pipeline/engine/local-executor.ts';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { connectRedis, scanNodes } from '../../../pipeline/engine/redis.ts';
import { parseRedisUrl } from '../../../pipeline/engine/redis-url.ts';
import { finalizeRound } from '../../../pipeline/engine/round-manifest.ts';
import { detectSource } from '../../../pipeline/sources/detect.ts';
import { fld, makeEnv, makeWorld, quiet, roundRows, type Run } from './harness.ts';
import { startPasswordRedis, startRedisCluster, startTlsRedis } from './redis-servers.ts';

/**
 * The engine over every kind of Redis connection it supports, each a real server started here:
 * a password, TLS with a CA made by openssl, a 3-node Redis Cluster. Each runs a small round
 * (real PaddleOCR + merge) through `fld enqueue`, `fld worker`, `fld status`; the rows must equal
 * the in-process executor's. Every output of those commands is kept and searched for secrets.
 */
const PASSWORD = 'pw-Fld7-test-Q2xv9';
const WRONG = 'pw-wrong-Zk4m1';
const AWS = { AWS_ACCESS_KEY_ID: 'AKIAFLDTESTFAKE7Q2X9', AWS_SECRET_ACCESS_KEY: 'fldFakeSecret/K7MDENGbPxRfiCYzT9w1q' };
const SECRETS = [PASSWORD, WRONG, AWS.AWS_ACCESS_KEY_ID, AWS.AWS_SECRET_ACCESS_KEY];
// Debug level, so that every log line a command can write is searched.
const CHILD_ENV = { ...AWS, FLD_LOG_LEVEL: 'debug' };
const CFG = { shardSize: 20, window: 2, batchSize: 8, specialists: { ocr: 'ppocr-v4' } };

const outputs: { what: string; run: Run }[] = [];
let world: { dir: string; manifest: string };
let expected: Record<string, string[]>;
let localDir: string;

before(async () => {
  world = await makeWorld(40, 5);
  localDir = join(world.dir, 'local');
  const config = EngineConfig.parse({ ...CFG, storage: localDir });
  const local = openServices(config, { log: quiet });
  try {
    const plan = await roundPlanFor(local.storage, 'demo', 0, config);
    const shards = await writeImageShards(local.storage, detectSource(world.manifest), {
      collection: 'demo',
      shardSize: CFG.shardSize,
      readSize: true,
    });
    await runRoundLocal(plan, shards.shards, local);
    await finalizeRound(local.storage, plan, new Set());
    expected = await roundRows(local.storage, 'demo', 0);
  } finally {
    await local.close();
  }
  assert.ok(expected.region_text.length > 0, 'the demo world has text for OCR');
});
after(async () => {
  await rm(world.dir, { recursive: true, force: true });
});

async function command(what: string, args: string[], cwd: string): Promise<Run> {
  const run = await fld(args, { cwd, env: CHILD_ENV }).done;
  outputs.push({ what, run });
  return run;
}

/** enqueue + one worker (OCR and merge) + status over `redis`; returns once the round's rows are checked. */
async function roundOver(redis: Record<string, unknown>, check?: (prefix: string) => Promise<void>): Promise<void> {
  const env = await makeEnv({ ...CFG, ...redis });
  try {
    const worker = fld(['worker', '--queues', 'ocr,merge', '--config', env.configFile], {
      cwd: env.dir,
      env: CHILD_ENV,
    });
    env.workers.push(worker.child);
    const enq = await command(
      `enqueue over ${redis.redis}`,
      ['enqueue', world.manifest, '--collection', 'demo', '--config', env.configFile, '--json'],
      env.dir,
    );
    assert.equal(enq.code, 0, enq.stderr);
    assert.equal(JSON.parse(enq.stdout).shards, 2);
    const finished = await env.waitFinished('demo', 0, 180_000);
    assert.deepEqual(finished.shards, { total: 2, pending: 0, waiting: 0, active: 0, done: 2, failed: 0 });
    const status = await command(
      `status over ${redis.redis}`,
      ['status', '--collection', 'demo', '--round', '0', '--config', env.configFile, '--json'],
      env.dir,
    );
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /"done":\s*2/);
    const services = openServices(env.config, { log: quiet });
    try {
      assert.deepEqual(await roundRows(services.storage, 'demo', 0), expected);
    } finally {
      await services.close();
    }
    await check?.(env.prefix);
    worker.child.kill('SIGTERM');
    const w = await worker.done;
    outputs.push({ what: `worker over ${redis.redis}`, run: w });
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stderr, /worker ready/, 'the worker logged (so the secret search below has something to search)');
  } finally {
    await env.close();
  }
}

test('URL forms: single, TLS, cluster with seeds, credentials; bad forms refused by name without the password', () => {
  assert.deepEqual(parseRedisUrl('redis://u:p%40ss@h:7000/3'), {
    cluster: false,
    tls: false,
    nodes: [{ host: 'h', port: 7000 }],
    username: 'u',
    password: 'p@ss',
    db: 3,
    ca: undefined,
  });
  assert.deepEqual(parseRedisUrl('rediss+cluster://:pw@a:1,b,[::1]:3'), {
    cluster: true,
    tls: true,
    nodes: [
      { host: 'a', port: 1 },
      { host: 'b', port: 6379 },
      { host: '::1', port: 3 },
    ],
    username: undefined,
    password: 'pw',
    db: 0,
    ca: undefined,
  });
  assert.throws(
    () => parseRedisUrl('redis://:hunter2@a:1,b:2'),
    (e: Error) => /several hosts need redis\+cluster/.test(e.message) && !e.message.includes('hunter2'),
  );
  assert.throws(() => parseRedisUrl('redis+cluster://a:1/2'), /only database 0/);
  assert.throws(() => parseRedisUrl('redis://a:1?tls=true'), /query options/);
  assert.throws(() => parseRedisUrl('redis://a:1', { caFile: '/x/ca.pem' }), /not TLS; use rediss:\/\//);
  assert.throws(
    () => parseRedisUrl('rediss://a:1', { caFile: '/nonexistent/ca.pem' }),
    /cannot read the CA file \/nonexistent\/ca.pem \(ENOENT\)/,
  );
  assert.throws(() => EngineConfig.parse({ redis: 'http://a:1' }), /redis\+cluster:\/\//);
  assert.equal(EngineConfig.parse({ redis: 'redis+cluster://a:1,b:2' }).redis, 'redis+cluster://a:1,b:2');
  assert.equal(maskSecrets('to rediss+cluster://ops:hunter2@a:1,b:2 now'), 'to rediss+cluster://ops:***@a:1,b:2 now');
});

test('a 3-node Redis Cluster: the round completes through flows under one hash tag; the dashboard finds the queues', async () => {
  const cluster = await startRedisCluster();
  const url = `redis+cluster://${cluster.ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
  try {
    await roundOver({ redis: url }, async (prefix) => {
      const conn = await connectRedis(url);
      try {
        assert.equal(scanNodes(conn).length, 3, 'three masters');
        const perNode: number[] = [];
        for (const node of scanNodes(conn)) perNode.push((await node.keys(`${prefix}*`)).length);
        assert.equal(
          perNode.filter((n) => n > 0).length,
          1,
          `every key of the round on the one node of its hash slot: ${perNode}`,
        );
        const queues = await discoverQueueNames(conn, prefix);
        for (const q of ['fld.ocr', 'fld.merge'])
          assert.ok(queues.includes(q), `dashboard discovery finds ${q}: ${queues}`);
      } finally {
        conn.disconnect();
      }
    });
  } finally {
    await cluster.stop();
  }
});

test('REDIS_URL with a password: enqueue, worker and status work; a wrong or missing password is one clear message without it', async () => {
  const server = await startPasswordRedis(PASSWORD);
  try {
    await roundOver({ redis: `redis://:${PASSWORD}@127.0.0.1:${server.port}/1` });
    for (const [bad, why] of [
      [`redis://:${WRONG}@127.0.0.1:${server.port}`, /WRONGPASS/],
      [`redis://127.0.0.1:${server.port}`, /NOAUTH/],
    ] as const) {
      for (const args of [
        ['enqueue', world.manifest, '--collection', 'demo', '--annotations-only'],
        ['worker', '--queues', 'ocr'],
        ['status'],
      ]) {
        const r = await fld(args, {
          cwd: world.dir,
          env: { ...CHILD_ENV, REDIS_URL: bad, FLD_STORAGE: join(world.dir, 'unused') },
        }).done;
        outputs.push({ what: `${args[0]} with a bad password`, run: r });
        assert.notEqual(r.code, 0, `${args[0]} with ${bad} fails`);
        const lines = r.stderr
          .trim()
          .split('\n')
          .filter((l) => /Redis at/.test(l));
        assert.equal(lines.length, 1, `one message: ${r.stderr}`);
        assert.match(lines[0]!, /Redis at redis:\/\/.*127\.0\.0\.1:\d+ refused the credentials/);
        assert.match(lines[0]!, why);
      }
    }
  } finally {
    await server.stop();
  }
});

test('rediss:// with the test CA (config redisCa and FLD_REDIS_CA); without the CA, one message saying to set it', async () => {
  const server = await startTlsRedis();
  const url = `rediss://127.0.0.1:${server.port}`;
  try {
    await roundOver({ redis: url, redisCa: server.ca });
    const viaEnv = await fld(['status', '--json'], {
      cwd: world.dir,
      env: { ...CHILD_ENV, REDIS_URL: url, FLD_REDIS_CA: server.ca, FLD_STORAGE: join(world.dir, 'unused') },
    }).done;
    outputs.push({ what: 'status with FLD_REDIS_CA', run: viaEnv });
    // Connected over TLS with the CA from the environment: the answer is this Redis's (no round under the default prefix).
    assert.match(viaEnv.stderr, /no queued round in this Redis/);
    assert.doesNotMatch(viaEnv.stderr, /Redis at/);
    const noCa = await fld(['status'], {
      cwd: world.dir,
      env: { ...CHILD_ENV, REDIS_URL: url, FLD_STORAGE: join(world.dir, 'unused') },
    }).done;
    outputs.push({ what: 'status without the CA', run: noCa });
    assert.notEqual(noCa.code, 0);
    assert.match(
      noCa.stderr,
      /Redis at rediss:\/\/127\.0\.0\.1:\d+ failed the TLS handshake \(SELF_SIGNED_CERT_IN_CHAIN\); set FLD_REDIS_CA/,
    );
  } finally {
    await server.stop();
  }
});

test('no password or AWS key in any output of the commands above', () => {
  const whats = outputs.map((o) => o.what);
  for (const w of [
    'enqueue over redis://',
    'worker over redis://',
    'status over redis://',
    'enqueue with a bad password',
    'worker over rediss://',
    'worker over redis+cluster://',
  ]) {
    assert.ok(
      whats.some((x) => x.startsWith(w)),
      `the search covers "${w}" (have: ${whats.join('; ')})`,
    );
  }
  let lines = 0;
  for (const { what, run } of outputs) {
    for (const line of `${run.stdout}\n${run.stderr}`.split('\n')) {
      lines++;
      for (const s of SECRETS) assert.ok(!line.includes(s), `${what}: a secret in the line ${line}`);
    }
  }
  assert.ok(lines > outputs.length * 2, `searched ${lines} lines`);
});
