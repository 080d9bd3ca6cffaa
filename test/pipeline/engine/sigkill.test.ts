// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { readDoneMarker, readManifest } from '../../../pipeline/shards/round-files.ts';
import { fld, makeEnv, makeWorld, quiet, roundShardHashes, undisturbedHashes } from './harness.ts';
import { rng } from '../../helpers/rng.ts'; // seeded, so the kill schedule (delays, victims) is reproducible

/**
 * Workers SIGKILLed mid-job, again and again. Three `fld worker` processes serve
 * OCR and merge; at seeded random moments the test picks an active job, kills the process that holds
 * it (BullMQ's `processedBy` names host:pid) and starts a replacement. Each kill counts only if the
 * job was still active after the process died (it did not finish in between), so every counted kill
 * lost work in progress. The kills are spread over the first half of the round. The round must end exactly as an undisturbed in-process run of the same
 * stages: same rows in every kind shard, every done marker, nothing left in any queue.
 *
 * Stall recovery is made fast for the test with worker flags: `--lock-duration 3000` (a dead
 * worker's lock lapses after 3 s), `--stalled-interval 1000` (live workers look for lapsed locks
 * every second), `--max-stalled-count 50` (a job killed several times must not fail for it; the
 * production default of 2 is about crash-looping jobs, not about this test's deliberate kills).
 */
const KILLS = 10;
const SEED = 9;
const IMAGES = 80;
const SHARD = 5;
const WORKERS = 3;
const FLAGS = ['--lock-duration', '3000', '--stalled-interval', '1000', '--max-stalled-count', '50'];
const QUEUES = ['fld.ocr', 'fld.merge'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let world: { dir: string; manifest: string };
before(async () => {
  world = await makeWorld(IMAGES, 19);
});
after(async () => {
  await rm(world.dir, { recursive: true, force: true });
});

test(`${KILLS} SIGKILLs of ${WORKERS} OCR+merge worker processes mid-job: killed jobs re-run, rows equal an undisturbed run, every marker, nothing stuck`, {
  timeout: 300_000,
}, async (t) => {
  const env = await makeEnv({ shardSize: SHARD, window: 4, batchSize: 4, specialists: { ocr: 'ppocr-v4' } });
  try {
    const host = hostname();
    let pool: ChildProcess[] = [];
    for (let i = 0; i < WORKERS; i++) pool.push(env.startWorker('ocr,merge', FLAGS));
    const r = await fld(['enqueue', world.manifest, '--collection', 'k', '--config', env.configFile, '--json'], {
      cwd: env.dir,
    }).done;
    assert.equal(r.code, 0, r.stderr);
    const shards = JSON.parse(r.stdout).shards as number;
    assert.equal(shards, IMAGES / SHARD);

    const rand = rng(SEED);
    const victims: { queue: string; id: string; pid: number }[] = [];
    let attempts = 0;
    while (victims.length < KILLS) {
      const st = await env.status('k');
      if (st.finished)
        assert.fail(
          `the round finished after only ${victims.length} mid-job kills (${attempts} tries): make the world larger`,
        );
      // spread the kills over the first half of the round (kill i once i/(2*KILLS) of the shards are
      // merged), so they hit late shards and merges too, not only the first jobs again and again
      if (st.shards.done < Math.floor((victims.length * shards) / (2 * KILLS))) {
        await sleep(100);
        continue;
      }
      await sleep(250 + rand() * 750);
      const active = (
        await Promise.all(QUEUES.map(async (queue) => (await env.activeJobs(queue)).map((j) => ({ ...j, queue }))))
      ).flat();
      const held = active.flatMap((j) => {
        const w = pool.find((p) => j.processedBy === `${host}:${p.pid}`);
        return w ? [{ ...j, worker: w }] : [];
      });
      if (!held.length) continue;
      const pick = held[Math.floor(rand() * held.length)];
      attempts++;
      const closed = new Promise((res) => pick.worker.once('close', res));
      pick.worker.kill('SIGKILL');
      await closed;
      pool = pool.filter((p) => p !== pick.worker);
      pool.push(env.startWorker('ocr,merge', FLAGS));
      // killed mid-job only if the job is still active with its worker gone (it did not finish first)
      if ((await env.jobState(pick.queue, pick.id)) === 'active')
        victims.push({ queue: pick.queue, id: pick.id, pid: pick.worker.pid! });
    }
    const at = await env.status('k');
    t.diagnostic(
      `${victims.length} mid-job kills in ${attempts} tries (${victims.map((v) => v.id).join(', ')}); ${at.shards.done}/${shards} shards merged by then`,
    );
    assert.ok(
      env.workers.filter((w) => w.signalCode === 'SIGKILL').length >= KILLS,
      `${KILLS} worker processes died by SIGKILL`,
    );

    const done = await env.waitFinished('k', 0, 240_000);
    assert.deepEqual(done.shards, { total: shards, pending: 0, waiting: 0, active: 0, done: shards, failed: 0 });
    assert.equal(done.images.done, IMAGES);
    // every killed job ran again to completion: BullMQ counts each start (ats) and each stall (stc)
    for (const v of victims) {
      assert.equal(
        await env.jobState(v.queue, v.id),
        'completed',
        `${v.id} completed after its worker ${v.pid} was killed`,
      );
      const started = Number(await env.jobField(v.queue, v.id, 'ats'));
      const stalled = Number(await env.jobField(v.queue, v.id, 'stc'));
      assert.ok(started >= 2 && stalled >= 1, `${v.id} was started ${started} times and stalled ${stalled} times`);
    }
    // nothing stuck: every queue is empty but for completed jobs
    for (const queue of QUEUES) {
      const c = await env.jobCounts(queue);
      for (const state of ['failed', 'waiting', 'active', 'delayed', 'waiting-children'])
        assert.equal(c[state], 0, `${queue} ${state}: ${JSON.stringify(c)}`);
      assert.equal(c.completed, shards, `${queue}: one completed job per shard`);
    }

    const services = openServices(env.config, { log: quiet });
    try {
      for (let s = 0; s < shards; s++)
        for (const stage of ['annotate:ocr', 'merge'])
          assert.ok(await readDoneMarker(services.storage, 'k', 0, stage, s), `${stage} done marker of shard ${s}`);
      assert.equal((await readManifest(services.storage, 'k', 0)).shards.length, shards);
      const killed = await roundShardHashes(services.storage, 'k', 0);
      const undisturbed = await undisturbedHashes(env.config, world.manifest, 'k', join(env.dir, 'undisturbed'));
      assert.ok(
        Object.keys(undisturbed).some((k) => k.startsWith('region_text/')),
        'OCR rows to compare',
      );
      assert.deepEqual(killed, undisturbed);
    } finally {
      await services.close();
    }
  } finally {
    await env.close();
  }
});
