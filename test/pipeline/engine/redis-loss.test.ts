// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { readDoneMarker, readManifest } from '../../../pipeline/shards/round-files.ts';
import { fld, makeEnv, makeWorld, quiet, roundShardHashes, undisturbedHashes } from './harness.ts';
import { startPlainRedis, type RedisServers } from './redis-servers.ts';

/**
 * Redis lost in the middle of a round, on a private redis-server started here on a
 * loopback port so FLUSHDB touches no one else's keys. The flush lands while OCR jobs are active and
 * the workers stay up (they must survive losing every queue key under them); `fld enqueue --resume`
 * then rebuilds the round from storage alone. The round must end exactly as an undisturbed run.
 */
const IMAGES = 80;
const SHARD = 5;

let world: { dir: string; manifest: string };
let redis: RedisServers & { url: string };
before(async () => {
  [world, redis] = await Promise.all([makeWorld(IMAGES, 23), startPlainRedis()]);
});
after(async () => {
  await redis?.stop();
  await rm(world.dir, { recursive: true, force: true });
});

test('FLUSHDB mid-round with OCR jobs active, workers left running, then fld enqueue --resume: same shard rows as an undisturbed run, every marker, nothing stuck', {
  timeout: 240_000,
}, async (t) => {
  const env = await makeEnv({
    redis: redis.url,
    shardSize: SHARD,
    window: 3,
    batchSize: 4,
    specialists: { ocr: 'ppocr-v4' },
  });
  const admin = new Redis(redis.url);
  try {
    const fast = ['--lock-duration', '3000', '--stalled-interval', '1000'];
    env.startWorker('ocr,merge', fast);
    env.startWorker('ocr,merge', fast);
    const r = await fld(['enqueue', world.manifest, '--collection', 'lost', '--config', env.configFile, '--json'], {
      cwd: env.dir,
    }).done;
    assert.equal(r.code, 0, r.stderr);
    const shards = JSON.parse(r.stdout).shards as number;
    assert.equal(shards, IMAGES / SHARD);

    // wait for some shards done and an OCR job in hand, then lose everything
    for (;;) {
      const st = await env.status('lost');
      assert.ok(!st.finished, 'the round finished before the flush: make the world larger');
      if (st.shards.done >= 2 && (await env.activeJobs('fld.ocr')).length) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const keysBefore = await admin.dbsize();
    await admin.flushdb();
    assert.equal(await admin.dbsize(), 0);
    t.diagnostic(`flushed ${keysBefore} keys`);

    const resume = await fld(['enqueue', '--resume', '--collection', 'lost', '--config', env.configFile, '--json'], {
      cwd: env.dir,
    }).done;
    assert.equal(resume.code, 0, resume.stderr);
    const sum = JSON.parse(resume.stdout);
    assert.ok(sum.alreadyDone >= 2, `merged shards are recognised from their markers (${sum.alreadyDone})`);
    assert.equal(sum.alreadyDone + sum.registered, shards, 'every other shard is registered again');
    t.diagnostic(`resume: ${sum.alreadyDone} shards already done, ${sum.registered} registered again`);

    const done = await env.waitFinished('lost', 0, 180_000);
    assert.deepEqual(done.shards, { total: shards, pending: 0, waiting: 0, active: 0, done: shards, failed: 0 });
    assert.ok(
      env.workers.every((w) => w.exitCode === null && w.signalCode === null),
      'the two workers that lived through the flush did the rest',
    );
    for (const queue of ['fld.ocr', 'fld.merge']) {
      const c = await env.jobCounts(queue);
      for (const state of ['failed', 'waiting', 'active', 'delayed', 'waiting-children'])
        assert.equal(c[state], 0, `${queue} ${state}: ${JSON.stringify(c)}`);
    }

    const services = openServices(env.config, { log: quiet });
    try {
      for (let s = 0; s < shards; s++)
        for (const stage of ['annotate:ocr', 'merge'])
          assert.ok(await readDoneMarker(services.storage, 'lost', 0, stage, s), `${stage} done marker of shard ${s}`);
      const m = await readManifest(services.storage, 'lost', 0);
      assert.equal(m.shards.length, shards);
      assert.deepEqual(m.failedShards, []);
      const after = await roundShardHashes(services.storage, 'lost', 0);
      const undisturbed = await undisturbedHashes(env.config, world.manifest, 'lost', join(env.dir, 'undisturbed'));
      assert.ok(
        Object.keys(undisturbed).some((k) => k.startsWith('region_text/')),
        'OCR rows to compare',
      );
      assert.deepEqual(after, undisturbed);
    } finally {
      await services.close();
    }
  } finally {
    admin.disconnect();
    await env.close();
  }
});
