/**
 * The engine's overhead on the demo world (real PaddleOCR + merge through the
 * filters), round 0, same images, same batch size, same total threads in both configurations:
 *  - in process (the anchor): `runRoundLocal`, every stage of every shard in this process;
 *  - BullMQ: one `fld worker --queues ocr,merge --concurrency 1` process, real Redis, timed from
 *    `fld enqueue` to the round finished (the manifest written).
 * Both have one ORT inference thread (intra=1, inter=1, specialists/ort-options.ts defaults) and one
 * JS main thread (the worker process has one BullMQ Worker per queue, so it may merge shard N while
 * OCR runs on shard N+1, where the in-process executor runs a shard's stages in turn); the worker's models are loaded by a warm-up round first, as the anchor's are loaded
 * before its clock starts, so both figures are steady-state images/s. Runs alternate (anchor, engine,
 * anchor, engine, ...) and the best of each is compared, so a burst of load on a shared machine hits
 * both alike. Floor: the engine within 10% of in-process (exit 1 below). Also printed: two worker
 * processes (ocr | merge, so two main threads: not the same threads, shown for scale), the longest
 * event-loop stall during a shard job against the lock renewal period, and what a round leaves in Redis.
 *   npm run bench -- engine            (`--images 200 --shard-size 50 --reps 2`)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { EngineConfig } from '../schemas/config.ts';
import { roundPlanFor, writeImageShards } from '../pipeline/engine/enqueue.ts';
import { runRoundLocal } from '../pipeline/engine/local-executor.ts';
import { openServices } from '../pipeline/engine/open-engine.ts';
import { DEFAULT_WORKER_POLICY } from '../pipeline/engine/policy.ts';
import { detectSource } from '../pipeline/sources/detect.ts';
import { describeThreads } from '../specialists/ort-options.ts';
import { fld, makeEnv, makeWorld, quiet, type Env } from '../test/pipeline/engine/harness.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const images = arg('--images', 200);
const shardSize = arg('--shard-size', 50);
const reps = arg('--reps', 2);
const BATCH = 8;
const FLOOR = 0.9;

const world = await makeWorld(images, 21, ['--boxes-fraction', '0.5']);
const warm = await makeWorld(Math.min(images, 10), 22);
const cfg = { shardSize, window: 4, batchSize: BATCH, specialists: { ocr: 'ppocr-v4' } };
// one histogram per in-process run: a re-enabled histogram counts the gap while it was off as a stall
const stalls: { max: number; p99: number }[] = [];
let run = 0;

async function inProcess(env: Env): Promise<number> {
  const local = openServices(EngineConfig.parse({ ...env.config, storage: join(env.dir, `local-${run++}`) }), {
    log: quiet,
  });
  try {
    await local.adapters.get('ocr', 'ppocr-v4', 0);
    const plan = await roundPlanFor(local.storage, 'b', 0, env.config);
    const shards = await writeImageShards(local.storage, detectSource(world.manifest), {
      collection: 'b',
      shardSize,
      readSize: true,
    });
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const t0 = performance.now();
    await runRoundLocal(plan, shards.shards, local);
    const secs = (performance.now() - t0) / 1000;
    h.disable();
    stalls.push({ max: h.max / 1e6, p99: h.percentile(99) / 1e6 });
    return images / secs;
  } finally {
    await local.close();
  }
}

/** Enqueue to finished on already-warm workers; polls the round status every 50 ms. */
async function onBullMQ(env: Env, manifest: string, collection: string, n: number): Promise<number> {
  const t0 = performance.now();
  const r = await fld(['enqueue', manifest, '--collection', collection, '--config', env.configFile], { cwd: env.dir })
    .done;
  if (r.code !== 0) throw new Error(r.stderr);
  for (;;) {
    const s = await env.status(collection);
    if (s.finished) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  return n / ((performance.now() - t0) / 1000);
}

async function redisLeft(env: Env): Promise<{ keys: number; bytes: number }> {
  const redis = new Redis(env.config.redis);
  let bytes = 0;
  let keys = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${env.prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const k of found) {
      bytes += (await redis.memory('USAGE', k)) ?? 0;
      keys++;
    }
  } while (cursor !== '0');
  redis.disconnect();
  return { keys, bytes };
}

const one = await makeEnv(cfg);
const two = await makeEnv(cfg);
try {
  one.startWorker('ocr,merge', ['--concurrency', '1']);
  two.startWorker('ocr');
  two.startWorker('merge');
  await onBullMQ(one, warm.manifest, 'warm', 10);
  await onBullMQ(two, warm.manifest, 'warm', 10);
  const local: number[] = [];
  const engine: number[] = [];
  const split: number[] = [];
  for (let i = 0; i < reps; i++) {
    local.push(await inProcess(one));
    engine.push(await onBullMQ(one, world.manifest, `b${i}`, images));
    split.push(await onBullMQ(two, world.manifest, `b${i}`, images));
  }
  const best = (xs: number[]) => Math.max(...xs);
  const ratio = best(engine) / best(local);
  const left = await redisLeft(one);
  const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
  console.log(
    `engine bench: ${images} images, shards of ${shardSize}, batch ${BATCH}, window 4, ${reps} alternating runs each, load ${loadavg()[0].toFixed(1)}`,
  );
  console.log(
    `  in process: 1 process, stages in turn per shard, OCR ORT ${describeThreads()}; runs ${list(local)} img/s`,
  );
  console.log(
    `  BullMQ:     1 worker process --queues ocr,merge --concurrency 1, OCR ORT ${describeThreads()}; runs ${list(engine)} img/s`,
  );
  console.log(
    `  BullMQ x2:  2 worker processes (ocr | merge), OCR ORT ${describeThreads()}; runs ${list(split)} img/s`,
  );
  console.log('figure | anchor | ratio');
  console.log(
    `BullMQ round 0, 1 worker process (same threads): ${best(engine).toFixed(1)} img/s | in process: ${best(local).toFixed(1)} img/s | ${ratio.toFixed(2)} (floor ${FLOOR})`,
  );
  console.log(
    `BullMQ round 0, 2 worker processes (one more main thread): ${best(split).toFixed(1)} img/s | in process: ${best(local).toFixed(1)} img/s | ${(best(split) / best(local)).toFixed(2)}`,
  );
  const stall = Math.max(...stalls.map((x) => x.max));
  console.log(
    `max event-loop stall during in-process OCR+merge shard jobs: ${stall.toFixed(0)} ms (p99 ${Math.max(...stalls.map((x) => x.p99)).toFixed(0)} ms) | lock renewal period: ${DEFAULT_WORKER_POLICY.lockDuration / 2} ms | ${(stall / (DEFAULT_WORKER_POLICY.lockDuration / 2)).toFixed(4)}`,
  );
  console.log(`Redis after ${reps + 1} rounds: ${left.keys} keys, ${left.bytes} bytes | - | -`);
  if (ratio < FLOOR) {
    console.error(`the engine is more than ${Math.round((1 - FLOOR) * 100)}% below in-process`);
    process.exitCode = 1;
  }
} finally {
  await Promise.all([one.close(), two.close()]);
  await Promise.all([rm(world.dir, { recursive: true, force: true }), rm(warm.dir, { recursive: true, force: true })]);
}
