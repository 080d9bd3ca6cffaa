// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { jobId } from '../../../schemas/jobs.ts';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { readDoneMarker } from '../../../pipeline/shards/round-files.ts';
import { Redis } from 'ioredis';
import { fld, makeEnv, makeWorld, quiet, REDIS, roundRows } from './harness.ts';

/**
 * A shard job in hand: real PaddleOCR over a shard of 60 images in mini-batches
 * of 4. While it runs, its BullMQ progress says how many images are done and its lock is renewed by
 * the stage heartbeat (the default 300 s lock: BullMQ's own renewal only extends a lock held over
 * 75 s, so in a job's first seconds a rising lock TTL is the heartbeat). SIGTERM then lands mid-job: the worker
 * finishes that job (completed once, never stalled, its done marker written after the signal),
 * exits 0, and a second worker does the rest of the round.
 */
let world: { dir: string; manifest: string };
before(async () => {
  world = await makeWorld(120, 41);
});
after(async () => {
  await rm(world.dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an OCR shard job reports progress and renews its lock per mini-batch; SIGTERM mid-job: the job completes, the worker exits 0', {
  timeout: 300_000,
}, async () => {
  const env = await makeEnv({ shardSize: 60, window: 2, batchSize: 4, specialists: { ocr: 'ppocr-v4' } });
  const redis = new Redis(REDIS);
  try {
    const ocr = env.startWorker('ocr');
    env.startWorker('merge');
    const r = await fld(['enqueue', world.manifest, '--collection', 'g', '--config', env.configFile], { cwd: env.dir })
      .done;
    assert.equal(r.code, 0, r.stderr);

    // the first OCR job in hand: watch its progress and its lock until it is partly done
    let id: string | undefined;
    while (!id) {
      assert.equal(ocr.exitCode, null, 'the OCR worker is alive');
      id = (await env.activeJobs('fld.ocr'))[0]?.id;
      if (!id) await sleep(50);
    }
    const shard = Number(id.slice(-5));
    assert.equal(id, jobId({ collection: 'g', round: 0, shard, stage: 'annotate:ocr' }));
    const lockKey = `${env.prefix}:fld.ocr:${id}:lock`;
    const seen: { done: number; total: number }[] = [];
    let renewed = false;
    let lastTtl = Infinity;
    for (;;) {
      const [progress, ttl] = await Promise.all([env.jobField('fld.ocr', id, 'progress'), redis.pttl(lockKey)]);
      if (ttl > lastTtl + 300) renewed = true; // the TTL only rises when someone extends the lock
      if (ttl > 0) lastTtl = ttl;
      const p = progress ? (JSON.parse(progress) as { done: number; total: number } | number) : null;
      if (p && typeof p === 'object' && (seen.at(-1)?.done ?? -1) !== p.done) seen.push(p);
      if (renewed && p && typeof p === 'object' && p.done >= 8) break;
      assert.notEqual(
        await env.jobState('fld.ocr', id),
        'completed',
        `job ${id} finished before its progress and lock renewal were seen: ${JSON.stringify(seen)} renewed=${renewed} (progress without a renewal: the heartbeat does not extend the lock; neither: make the shard larger)`,
      );
      await sleep(100);
    }
    assert.ok(
      seen.every((p) => p.total === 60 && p.done > 0 && p.done < 60),
      `progress {done, total} per mini-batch: ${JSON.stringify(seen)}`,
    );
    assert.deepEqual(
      seen.map((p) => p.done),
      [...seen.map((p) => p.done)].sort((a, b) => a - b),
      'progress never goes down',
    );

    // SIGTERM with the job half done
    assert.equal(await env.jobState('fld.ocr', id), 'active');
    const signalled = Date.now();
    const exited = new Promise<number | null>((res) => ocr.once('close', (code) => res(code)));
    ocr.kill('SIGTERM');
    assert.equal(await exited, 0, 'the worker exits 0 after SIGTERM');
    assert.equal(await env.jobState('fld.ocr', id), 'completed', `${id} finished by the worker that was told to stop`);
    assert.equal(Number(await env.jobField('fld.ocr', id, 'ats')), 1, 'started once');
    assert.ok(!Number(await env.jobField('fld.ocr', id, 'stc')), 'never stalled');
    const services = openServices(env.config, { log: quiet });
    try {
      const marker = await readDoneMarker(services.storage, 'g', 0, 'annotate:ocr', shard);
      assert.ok(marker, 'its done marker');
      assert.ok(
        Date.parse(marker.finished_at) >= signalled - 1000,
        `the marker was written after SIGTERM (${marker.finished_at} vs ${new Date(signalled).toISOString()})`,
      );
      assert.equal(marker.counts.images, 60);

      // a second OCR worker does the rest
      env.startWorker('ocr');
      const done = await env.waitFinished('g', 0, 240_000);
      assert.deepEqual(done.shards, { total: 2, pending: 0, waiting: 0, active: 0, done: 2, failed: 0 });
      const rows = await roundRows(services.storage, 'g', 0);
      for (const [kind, list] of Object.entries(rows))
        assert.equal(new Set(list).size, list.length, `no duplicate ${kind} row`);
      assert.ok(
        rows.region_text.some((x) => JSON.parse(x).source.startsWith('ppocr-v4@')),
        'OCR rows',
      );
    } finally {
      await services.close();
    }
  } finally {
    redis.disconnect();
    await env.close();
  }
});
