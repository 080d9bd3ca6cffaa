// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import type { RoundStatus } from '../../../pipeline/engine/status.ts';
import { yoloModelFolder } from '../../specialists/fixtures/model-folder.ts';
import { Redis } from 'ioredis';
import { fld, makeEnv, makeWorld, REDIS } from './harness.ts';

/**
 * `fld status` figures on a real round (detector + merge workers): before any worker the window's
 * shards are waiting in both stages and the rest pending; `--watch` (not a terminal) follows the
 * round with a line per change until it is finished and prints the final status; afterwards every
 * stage is done, images/s is a rate and the ETA is 0.
 */
let world: { dir: string; manifest: string };
let model: string;
before(async () => {
  [world, model] = await Promise.all([makeWorld(100, 31), yoloModelFolder('exact', 64, ['red thing', 'green thing'])]);
});
after(async () => {
  await rm(world.dir, { recursive: true, force: true });
  await rm(model, { recursive: true, force: true });
});

test('fld status: waiting/pending per stage before workers, --watch follows the round to its end, then images/s and ETA 0', {
  timeout: 240_000,
}, async () => {
  const env = await makeEnv({ shardSize: 10, window: 3, specialists: { detector: model } });
  try {
    const cfg = ['--config', env.configFile];
    const r = await fld(['enqueue', world.manifest, '--collection', 's', ...cfg], { cwd: env.dir }).done;
    assert.equal(r.code, 0, r.stderr);

    // no worker yet: the window's 3 flows wait (detector job waiting, merge waiting for its child), 7 shards pending
    const idle = await fld(['status', '--collection', 's', ...cfg, '--json'], { cwd: env.dir }).done;
    assert.equal(idle.code, 0, idle.stderr);
    const [s0] = JSON.parse(idle.stdout) as RoundStatus[];
    assert.deepEqual(s0.shards, { total: 10, pending: 7, waiting: 3, active: 0, done: 0, failed: 0 });
    assert.deepEqual(
      s0.stages.map((s) => [s.stage, s.queue, s.waiting, s.active, s.done, s.failed]),
      [
        ['annotate:detector', 'fld.detect', 3, 0, 0, 0],
        ['merge', 'fld.merge', 3, 0, 0, 0],
      ],
    );
    assert.deepEqual(s0.images, { total: 100, done: 0, perSecond: null, etaSeconds: null });
    assert.equal(s0.finished, false);
    const text = await fld(['status', '--collection', 's', ...cfg], { cwd: env.dir }).done;
    assert.match(
      text.stdout,
      /^s round 0: shards 0\/10 done, 0 active, 3 waiting, 7 pending, 0 failed; images 0\/100, -, ETA -\n/,
    );
    assert.match(text.stdout, /annotate:detector\s+fld\.detect\s+waiting 3 {2}active 0 {2}done 0 {2}failed 0/);

    // --watch before the workers start: its first line is the idle round, its last the finished one
    const watch = fld(['status', '--watch', '--collection', 's', '--round', '0', ...cfg], { cwd: env.dir });
    let stderr = '';
    watch.child.stderr!.on('data', (d) => (stderr += d));
    while (!stderr.includes('\n') && watch.child.exitCode === null) await new Promise((res) => setTimeout(res, 50));
    env.startWorker('detect,merge');
    const w = await watch.done;
    assert.equal(w.code, 0, w.stderr);
    const lines = w.stderr.trim().split('\n');
    assert.ok(lines.length >= 2, `a line per change: ${w.stderr}`);
    assert.equal(lines[0], 'round 0: 0/100 images, shards 0/10 done, 0 active, 0 failed');
    assert.match(
      lines.at(-1)!,
      /^round 0: 100\/100 images, shards 10\/10 done, 0 active, 0 failed, [\d.]+ img\/s, ETA 0 s$/,
    );
    const done = lines.map((l) => Number(/shards (\d+)\/10 done/.exec(l)![1]));
    assert.deepEqual(
      done,
      [...done].sort((a, b) => a - b),
      'done shards never go down',
    );
    assert.match(
      w.stdout,
      /^s round 0: shards 10\/10 done, 0 active, 0 waiting, 0 pending, 0 failed; images 100\/100, [\d.]+ img\/s, ETA 0 s/,
    );

    const end = await fld(['status', '--collection', 's', ...cfg, '--json'], { cwd: env.dir }).done;
    const [s1] = JSON.parse(end.stdout) as RoundStatus[];
    assert.equal(s1.finished, true);
    assert.deepEqual(s1.shards, { total: 10, pending: 0, waiting: 0, active: 0, done: 10, failed: 0 });
    for (const st of s1.stages) assert.deepEqual([st.waiting, st.active, st.done, st.failed], [0, 0, 10, 0], st.stage);
    assert.equal(s1.images.done, 100);
    assert.ok(s1.images.perSecond! > 0, `a rate: ${s1.images.perSecond}`);
    assert.equal(s1.images.etaSeconds, 0);

    // status is not a snapshot: it reads the in-flight set before the markers, so a shard that
    // finishes in between is still in the set it read. Its marker wins: done, not waiting.
    const redis = new Redis(REDIS);
    try {
      await redis.sadd(`${env.prefix}:engine:s:0:inflight`, '4');
      const raced = await env.status('s');
      assert.deepEqual(raced.shards, { total: 10, pending: 0, waiting: 0, active: 0, done: 10, failed: 0 });
      assert.ok(
        raced.stages.every((st) => st.waiting === 0 && st.active === 0),
        JSON.stringify(raced.stages),
      );
      await redis.srem(`${env.prefix}:engine:s:0:inflight`, '4');
    } finally {
      redis.disconnect();
    }

    // --watch follows one round: two matching rounds are refused by name
    const r2 = await fld(['enqueue', world.manifest, '--collection', 's2', ...cfg], { cwd: env.dir }).done;
    assert.equal(r2.code, 0, r2.stderr);
    const two = await fld(['status', '--watch', ...cfg], { cwd: env.dir }).done;
    assert.equal(two.code, 2);
    assert.match(
      two.stderr,
      /status --watch follows one round; 2 match \(s round 0, s2 round 0\): give --collection and --round/,
    );
  } finally {
    await env.close();
  }
});

test('an enqueue whose S3 source is unreachable: one line naming the prefix, exit 1; fld status says the source is not fully listed', async () => {
  const env = await makeEnv({ shardSize: 10, window: 3 });
  try {
    const s3env = {
      FLD_S3_ENDPOINT: 'http://127.0.0.1:1',
      FLD_S3_MAX_ATTEMPTS: '1',
      FLD_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_REGION: 'us-east-1',
    };
    const r = await fld(
      ['enqueue', 's3://bucket/imgs', '--collection', 'u', '--config', env.configFile, '--annotations-only'],
      { cwd: env.dir, env: s3env },
    ).done;
    assert.equal(r.code, 1);
    // (the AWS SDK prints its own Node-version warning first; our message is the last line)
    assert.match(
      r.stderr.trim().split('\n').at(-1)!,
      /^fld: s3 prefix s3:\/\/bucket\/imgs\/: listing failed after 0 keys: .*ECONNREFUSED.*endpoint http:\/\/127\.0\.0\.1:1/,
    );
    const st = await fld(['status', '--collection', 'u', '--config', env.configFile, '--json'], { cwd: env.dir }).done;
    assert.equal(st.code, 0, st.stderr);
    const [s] = JSON.parse(st.stdout) as RoundStatus[];
    assert.equal(s.listed, false);
    assert.equal(s.finished, false);
    const text = await fld(['status', '--collection', 'u', '--config', env.configFile], { cwd: env.dir }).done;
    assert.match(
      text.stdout,
      /source not fully listed: fld enqueue is still running, or it stopped before the end .*run it again/,
    );
  } finally {
    await env.close();
  }
});
