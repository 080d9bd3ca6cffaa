// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { readManifest } from '../../../pipeline/shards/round-files.ts';
import { readShard } from '../../../pipeline/shards/storage-io.ts';
import { listImageShards } from '../../../pipeline/engine/plan-files.ts';
import { layout } from '../../../pipeline/layout.ts';
import type { Storage } from '../../../pipeline/storage/storage.ts';
import { fld, makeEnv, makeWorld, quiet, REDIS, roundRows } from './harness.ts';
import { startS3rver } from '../../helpers/s3rver.ts';

let world: { dir: string; manifest: string };
before(async () => {
  world = await makeWorld(150, 5, ['--boxes-fraction', '0.5']);
});
after(async () => {
  await rm(world.dir, { recursive: true, force: true });
});

test('fld enqueue SIGKILLed right after its first flow: the round still completes; enqueue twice adds no job and no row', async () => {
  // merge only: the demo world's alt-texts and pre-existing boxes through the filters
  const env = await makeEnv({ shardSize: 5, window: 2 });
  try {
    env.startWorker('merge');
    const args = ['enqueue', world.manifest, '--collection', 'demo', '--config', env.configFile, '--annotations-only'];
    const first = fld(args, { cwd: env.dir });
    const redis = new Redis(REDIS);
    try {
      const inflight = `${env.prefix}:engine:demo:0:inflight`;
      while ((await redis.scard(inflight)) === 0 && first.child.exitCode === null)
        await new Promise((r) => setTimeout(r, 5));
      first.child.kill('SIGKILL');
      const killed = await first.done;
      const registered = await redis.scard(`${env.prefix}:engine:demo:0:known`);
      // whatever was registered before the kill completes without the enqueue process
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        const s = await env.status('demo');
        if (s.shards.done >= registered && s.shards.pending === 0 && s.shards.waiting === 0 && s.shards.active === 0)
          break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const mid = await env.status('demo');
      assert.ok(
        mid.shards.done >= registered,
        `registered ${registered} shards before the kill (${killed.signal}); ${mid.shards.done} done`,
      );

      // enqueue again: the rest of the collection, nothing twice
      const second = await fld(args, { cwd: env.dir }).done;
      assert.equal(second.code, 0, second.stderr);
      const done = await env.waitFinished('demo');
      assert.equal(done.shards.done, 30);
      assert.equal(done.images.done, 150);
      const services = openServices(env.config, { log: quiet });
      try {
        const rows = await roundRows(services.storage, 'demo', 0);
        assert.ok(rows.text.length > 0 && rows.region_text.length > 0, 'alt-texts and human boxes merged');
        for (const [kind, list] of Object.entries(rows))
          assert.equal(new Set(list).size, list.length, `no duplicate ${kind} row`);
        const third = await fld([...args, '--json'], { cwd: env.dir }).done;
        assert.equal(third.code, 0, third.stderr);
        assert.equal(JSON.parse(third.stdout).registered, 0);
        assert.equal(JSON.parse(third.stdout).alreadyDone, 30);
        const counts = await env.jobCounts('fld.merge');
        assert.equal(counts.completed, 30, `one merge job per shard: ${JSON.stringify(counts)}`);
        assert.equal(counts.waiting + counts.active + counts.delayed + counts['waiting-children'], 0);
        assert.deepEqual(await roundRows(services.storage, 'demo', 0), rows);
        const m = await readManifest(services.storage, 'demo', 0);
        assert.equal(m.shards.length, 30);
      } finally {
        await services.close();
      }
    } finally {
      redis.disconnect();
    }
  } finally {
    await env.close();
  }
});

test('bad input: a malformed line, a missing file and a path outside the root are skipped by name and counted in fld status and the round manifest', async () => {
  const env = await makeEnv({ shardSize: 50, window: 4 });
  try {
    const manifest = join(world.dir, 'collection', 'bad.jsonl');
    const good = (await readFile(world.manifest, 'utf8')).trim().split('\n').slice(0, 20);
    await writeFile(
      manifest,
      [
        ...good.slice(0, 10),
        '{"uri": "images/000001.png"',
        '{"uri":"images/nope.png"}',
        '{"uri":"../../etc/passwd.png"}',
        ...good.slice(10),
      ].join('\n') + '\n',
    );
    env.startWorker('merge');
    const r = await fld(
      ['enqueue', manifest, '--collection', 'bad', '--config', env.configFile, '--json', '--annotations-only'],
      { cwd: env.dir },
    ).done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /line 11: .*JSON/i);
    assert.match(r.stderr, /line 12: .*nope\.png/);
    assert.match(r.stderr, /line 13: .*outside/);
    assert.equal(JSON.parse(r.stdout).skipped, 3);
    const s = await env.waitFinished('bad');
    assert.deepEqual(s.skipped, { total: 3, byReason: { malformed: 1, missing_file: 1, outside_root: 1 } });
    assert.equal(s.images.done, 20);
    const st = await fld(['status', '--collection', 'bad', '--config', env.configFile], { cwd: env.dir }).done;
    assert.match(st.stdout, /skipped at enqueue: 3 \(malformed 1, missing_file 1, outside_root 1\)/);
    const services = openServices(env.config, { log: quiet });
    try {
      const m = await readManifest(services.storage, 'bad', 0);
      assert.deepEqual(m.skipped?.byReason, { malformed: 1, missing_file: 1, outside_root: 1 });
      assert.equal(m.skipped?.examples.length, 3);
    } finally {
      await services.close();
    }
  } finally {
    await env.close();
  }
});

test('a Redis that is down and an unreachable S3 endpoint at start: one clear message, non-zero exit', async () => {
  const env = await makeEnv({});
  try {
    const down = await fld(
      ['enqueue', world.manifest, '--collection', 'x', '--config', env.configFile, '--annotations-only'],
      { cwd: env.dir, env: { REDIS_URL: 'redis://127.0.0.1:1' } },
    ).done;
    assert.notEqual(down.code, 0);
    assert.match(down.stderr, /Redis at redis:\/\/127\.0\.0\.1:1 is not reachable \(ECONNREFUSED\)/);
    const worker = await fld(['worker', '--queues', 'merge', '--config', env.configFile], {
      cwd: env.dir,
      env: { REDIS_URL: 'redis://user:secret@127.0.0.1:1' },
    }).done;
    assert.notEqual(worker.code, 0);
    assert.match(worker.stderr, /not reachable/);
    assert.doesNotMatch(worker.stderr, /secret/);
    const s3 = await fld(
      ['enqueue', world.manifest, '--collection', 'x', '--config', env.configFile, '--annotations-only'],
      {
        cwd: env.dir,
        env: {
          FLD_STORAGE: 's3://bucket/prefix',
          FLD_S3_ENDPOINT: 'http://127.0.0.1:1',
          FLD_S3_MAX_ATTEMPTS: '1',
          FLD_S3_FORCE_PATH_STYLE: 'true',
          AWS_ACCESS_KEY_ID: 'x',
          AWS_SECRET_ACCESS_KEY: 'y',
          AWS_REGION: 'us-east-1',
        },
      },
    ).done;
    assert.notEqual(s3.code, 0);
    // (the AWS SDK prints its own Node-version warning first; our message is the last line)
    const line = s3.stderr.trim().split('\n').at(-1)!;
    assert.match(line, /^fld: storage s3:\/\/bucket\/prefix\/?: .* failed: ECONNREFUSED/);
  } finally {
    await env.close();
  }
});

test('a round with its storage on the S3 API (s3rver on loopback): shards, markers and manifest land in the bucket', async () => {
  const s3 = await startS3rver();
  const saved = { ...process.env };
  Object.assign(process.env, s3.env, { FLD_S3_CHECKSUMS: 'WHEN_REQUIRED' });
  const env = await makeEnv({ storage: `s3://${s3.bucket}/run`, shardSize: 25, window: 2 });
  try {
    env.startWorker('merge');
    const r = await fld(
      ['enqueue', world.manifest, '--collection', 's3c', '--config', env.configFile, '--json', '--annotations-only'],
      { cwd: env.dir },
    ).done;
    assert.equal(r.code, 0, r.stderr);
    const done = await env.waitFinished('s3c');
    assert.equal(done.shards.done, 6);
    assert.equal(done.images.done, 150);
    const keys: string[] = [];
    for await (const k of s3.storage.list('run/s3c/round-0/_done/merge/')) keys.push(k);
    assert.equal(keys.length, 6);
    const services = openServices(env.config, { log: quiet });
    try {
      assert.equal((await readManifest(services.storage, 's3c', 0)).shards.length, 6);
      const rows = await roundRows(services.storage, 's3c', 0);
      assert.ok(rows.text.length > 0);
    } finally {
      await services.close();
    }
  } finally {
    await env.close();
    process.env = saved;
    await s3.close();
  }
});

/** Every image record of the collection's image shards: its image id, one entry per record. */
async function imageIds(storage: Storage, collection: string): Promise<string[]> {
  const ids: string[] = [];
  for (const s of await listImageShards(storage, collection))
    ids.push(
      ...(await readShard(storage, layout.images(collection, s), 'image')).rows.map(
        (r) => (r as { image_id: string }).image_id,
      ),
    );
  return ids;
}

test('two fld enqueue of one collection at once with different shardSize: exactly one wins, the other exits non-zero naming the difference and writes nothing', async () => {
  const env = await makeEnv({ shardSize: 10, window: 4 });
  try {
    const seven = join(env.dir, 'seven.config.json');
    await writeFile(seven, JSON.stringify({ ...JSON.parse(await readFile(env.configFile, 'utf8')), shardSize: 7 }));
    const args = (config: string) => [
      'enqueue',
      world.manifest,
      '--collection',
      'race',
      '--config',
      config,
      '--annotations-only',
      '--json',
    ];
    const [ten, sev] = await Promise.all([
      fld(args(env.configFile), { cwd: env.dir }).done,
      fld(args(seven), { cwd: env.dir }).done,
    ]);
    const runs = [
      { size: 10, r: ten },
      { size: 7, r: sev },
    ];
    const won = runs.filter((x) => x.r.code === 0);
    const lost = runs.filter((x) => x.r.code !== 0);
    assert.equal(
      won.length,
      1,
      `exactly one enqueue wins: ${runs.map((x) => `shardSize ${x.size}: exit ${x.r.code} ${x.r.stderr.trim()}`).join(' | ')}`,
    );
    const { size } = won[0]!;
    const other = lost[0]!;
    assert.match(
      other.r.stderr,
      new RegExp(`round 0 of collection race: .*shardSize: ${size} saved, ${other.size} in this enqueue`),
    );
    assert.equal(JSON.parse(won[0]!.r.stdout).shards, Math.ceil(150 / size));

    env.startWorker('merge');
    const done = await env.waitFinished('race');
    assert.equal(done.shards.done, Math.ceil(150 / size));
    assert.equal(done.images.done, 150);
    assert.equal(done.images.total, 150);
    const services = openServices(env.config, { log: quiet });
    try {
      const ids = await imageIds(services.storage, 'race');
      assert.equal(ids.length, 150, 'image records in the image shards');
      assert.equal(new Set(ids).size, 150, 'each image once');
      const rows = await roundRows(services.storage, 'race', 0);
      for (const [kind, list] of Object.entries(rows))
        assert.equal(new Set(list).size, list.length, `no duplicate ${kind} row`);
    } finally {
      await services.close();
    }
  } finally {
    await env.close();
  }
});

test('two fld enqueue of one collection at once with the same plan: both succeed and the round has each image once', async () => {
  const env = await makeEnv({ shardSize: 10, window: 4 });
  try {
    const args = [
      'enqueue',
      world.manifest,
      '--collection',
      'twin',
      '--config',
      env.configFile,
      '--annotations-only',
      '--json',
    ];
    const both = await Promise.all([fld(args, { cwd: env.dir }).done, fld(args, { cwd: env.dir }).done]);
    for (const r of both) assert.equal(r.code, 0, r.stderr);
    env.startWorker('merge');
    const done = await env.waitFinished('twin');
    assert.equal(done.shards.done, 15);
    assert.equal(done.images.done, 150);
    const services = openServices(env.config, { log: quiet });
    try {
      const ids = await imageIds(services.storage, 'twin');
      assert.equal(ids.length, 150);
      assert.equal(new Set(ids).size, 150);
      const counts = await env.jobCounts('fld.merge');
      assert.equal(counts.completed, 15, `one merge job per shard: ${JSON.stringify(counts)}`);
      const rows = await roundRows(services.storage, 'twin', 0);
      for (const [kind, list] of Object.entries(rows))
        assert.equal(new Set(list).size, list.length, `no duplicate ${kind} row`);
    } finally {
      await services.close();
    }
  } finally {
    await env.close();
  }
});
