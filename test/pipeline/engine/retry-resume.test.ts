// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { jobId } from '../../../schemas/jobs.ts';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { readDoneMarker, readManifest } from '../../../pipeline/shards/round-files.ts';
import { yoloModelFolder } from '../../specialists/fixtures/model-folder.ts';
import { fld, makeEnv, makeWorld, quiet, REDIS, roundRows } from './harness.ts';

let world: { dir: string; manifest: string };
before(async () => {
  world = await makeWorld(100, 7, ['--boxes-fraction', '0.5']);
});
after(async () => {
  await rm(world.dir, { recursive: true, force: true });
});

async function deletePrefix(prefix: string): Promise<number> {
  const redis = new Redis(REDIS);
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) n += await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
  return n;
}

test('a child that fails for good fails its shard (no parent waits), shows in fld status, and fld retry re-runs it once the cause is fixed', async () => {
  const env = await makeEnv({ shardSize: 50, window: 4, jobs: { attempts: 2, backoffMs: 100 } });
  const model = join(env.dir, 'detector-model');
  try {
    const cfg = { ...env.config, specialists: { detector: model } };
    const { writeFile, rm } = await import('node:fs/promises');
    await writeFile(env.configFile, JSON.stringify(cfg));
    // the folder is there when the round is planned (enqueue checks it), then gone from the worker's
    // machine before it starts: every detector job fails
    await cp(await yoloModelFolder('exact', 64, ['red thing', 'green thing']), model, { recursive: true });
    const r = await fld(['enqueue', world.manifest, '--collection', 'f', '--config', env.configFile], { cwd: env.dir })
      .done;
    assert.equal(r.code, 0, r.stderr);
    await rm(model, { recursive: true, force: true });
    env.startWorker('detect,merge');
    const failed = await env.waitFinished('f');
    assert.deepEqual(failed.shards, { total: 2, pending: 0, waiting: 0, active: 0, done: 0, failed: 2 });
    const det = failed.stages.find((s) => s.stage === 'annotate:detector')!;
    const merge = failed.stages.find((s) => s.stage === 'merge')!;
    assert.equal(det.failed, 2);
    assert.equal(merge.failed, 2, 'the parent merge failed with its child');
    assert.ok(
      failed.lastErrors.some(
        (e) => e.stage === 'annotate:detector' && /failed for good \(try 2\/2\).*no fld-model\.json/.test(e.message),
      ),
      JSON.stringify(failed.lastErrors),
    );
    assert.ok(
      failed.lastErrors.some((e) => /will retry \(try 1\/2\)/.test(e.message)),
      'the first try is recorded too',
    );
    const st = await fld(['status', '--collection', 'f', '--config', env.configFile], { cwd: env.dir }).done;
    assert.match(st.stdout, /2 failed/);
    const services = openServices(env.config, { log: quiet });
    try {
      const m = await readManifest(services.storage, 'f', 0);
      assert.deepEqual(m.failedShards, [0, 1], 'the manifest names the failed shards');

      await cp(await yoloModelFolder('exact', 64, ['red thing', 'green thing']), model, { recursive: true });
      const retry = await fld(['retry', '--collection', 'f', '--config', env.configFile, '--json'], { cwd: env.dir })
        .done;
      assert.equal(retry.code, 0, retry.stderr);
      assert.deepEqual(JSON.parse(retry.stdout).retried, [0, 1]);
      const ok = await env.waitFinished('f');
      assert.deepEqual(ok.shards, { total: 2, pending: 0, waiting: 0, active: 0, done: 2, failed: 0 });
      assert.deepEqual(ok.lastErrors, [], 'the retried shards are done: their old errors are no longer listed');
      for (const s of [0, 1]) assert.ok(await readDoneMarker(services.storage, 'f', 0, 'annotate:detector', s));
      const rows = await roundRows(services.storage, 'f', 0);
      assert.ok(
        rows.region_text.some((x) => JSON.parse(x).sources.some((s: string) => s.startsWith('yolo-exact@'))),
        'detector boxes reached the merge',
      );
      assert.deepEqual((await readManifest(services.storage, 'f', 0)).failedShards, []);
    } finally {
      await services.close();
    }
  } finally {
    await env.close();
  }
});

test('Redis lost mid-round: fld enqueue --resume rebuilds the queue from the done markers; SIGTERM lets a worker finish its job and exit 0', async () => {
  const env = await makeEnv({ shardSize: 5, window: 2 });
  try {
    const r = await fld(
      ['enqueue', world.manifest, '--collection', 'r', '--config', env.configFile, '--annotations-only'],
      { cwd: env.dir },
    ).done;
    assert.equal(r.code, 0, r.stderr);
    const w = env.startWorker('merge');
    while ((await env.status('r')).shards.done < 4) await new Promise((res) => setTimeout(res, 100));
    w.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => w.once('close', (c) => res(c)));
    assert.equal(code, 0, 'worker exits cleanly on SIGTERM');
    const before = (await env.status('r')).shards.done;
    assert.ok(before < 20, `some shards left (${before} done)`);
    assert.ok((await deletePrefix(env.prefix)) > 0, 'Redis state deleted');
    const resume = await fld(['enqueue', '--resume', '--collection', 'r', '--config', env.configFile, '--json'], {
      cwd: env.dir,
    }).done;
    assert.equal(resume.code, 0, resume.stderr);
    const sum = JSON.parse(resume.stdout);
    assert.equal(sum.alreadyDone, before);
    assert.equal(sum.registered, 20 - before);
    env.startWorker('merge');
    const done = await env.waitFinished('r');
    assert.equal(done.shards.done, 20);
    assert.equal(done.images.done, 100);
    // the last merge writes the manifest before its job is marked completed: wait for it to settle
    let counts = await env.jobCounts('fld.merge');
    for (let i = 0; i < 100 && counts.active > 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
      counts = await env.jobCounts('fld.merge');
    }
    assert.equal(counts.completed, 20 - before, 'only the shards without a marker ran after the resume');
    const services = openServices(env.config, { log: quiet });
    try {
      const rows = await roundRows(services.storage, 'r', 0);
      for (const [kind, list] of Object.entries(rows))
        assert.equal(new Set(list).size, list.length, `no duplicate ${kind} row`);
      assert.equal((await readManifest(services.storage, 'r', 0)).shards.length, 20);
    } finally {
      await services.close();
    }
  } finally {
    await env.close();
  }
});

test('a worker SIGKILLed in the middle of an OCR shard: the job stalls, another worker runs it again, the round has each row once', async () => {
  const env = await makeEnv({ shardSize: 50, window: 2, specialists: { ocr: 'ppocr-v4' } });
  try {
    const fast = ['--lock-duration', '2000', '--stalled-interval', '1000'];
    const victim = env.startWorker('ocr', fast);
    env.startWorker('merge', fast);
    const r = await fld(['enqueue', world.manifest, '--collection', 'k', '--config', env.configFile], { cwd: env.dir })
      .done;
    assert.equal(r.code, 0, r.stderr);
    while ((await env.status('k')).stages.find((s) => s.stage === 'annotate:ocr')!.active === 0)
      await new Promise((res) => setTimeout(res, 50));
    victim.kill('SIGKILL');
    env.startWorker('ocr', fast);
    const done = await env.waitFinished('k');
    assert.deepEqual(done.shards, { total: 2, pending: 0, waiting: 0, active: 0, done: 2, failed: 0 });
    const stalls = await Promise.all(
      [0, 1].map((shard) =>
        env.jobField('fld.ocr', jobId({ collection: 'k', round: 0, shard, stage: 'annotate:ocr' }), 'stc'),
      ),
    );
    assert.ok(
      stalls.some((n) => Number(n) >= 1),
      `one OCR job was recovered as stalled (stalled counters ${stalls})`,
    );
    const services = openServices(env.config, { log: quiet });
    try {
      const rows = await roundRows(services.storage, 'k', 0);
      for (const [kind, list] of Object.entries(rows))
        assert.equal(new Set(list).size, list.length, `no duplicate ${kind} row`);
      assert.ok(rows.region_text.some((x) => JSON.parse(x).source.startsWith('ppocr-v4@')));
    } finally {
      await services.close();
    }
  } finally {
    await env.close();
  }
});
