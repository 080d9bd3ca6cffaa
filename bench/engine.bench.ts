/**
 * The engine end to end on the demo world (real PaddleOCR + merge through the filters):
 *  - images/s of a round on BullMQ (one `ocr` worker process and one `merge` worker process, real
 *    Redis) against the in-process executor running the same stages (the anchor), same run;
 *  - the longest event-loop stall while a shard job runs in process, against the lock renewal period
 *    BullMQ uses (lockDuration / 2): a stall longer than that could let a lock lapse.
 * `node --import tsx bench/engine.bench.ts [--images 200] [--shard-size 50]`
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineConfig } from '../schemas/config.ts';
import { roundPlanFor, writeImageShards } from '../pipeline/engine/enqueue.ts';
import { runRoundLocal } from '../pipeline/engine/local-executor.ts';
import { openServices } from '../pipeline/engine/open.ts';
import { DEFAULT_WORKER_POLICY } from '../pipeline/engine/policy.ts';
import { detectSource } from '../pipeline/sources/detect.ts';
import { fld, makeEnv, makeWorld, quiet } from '../test/pipeline/engine/harness.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const images = arg('--images', 200);
const shardSize = arg('--shard-size', 50);

const world = await makeWorld(images, 21, ['--boxes-fraction', '0.5']);
const env = await makeEnv({ shardSize, window: 4, batchSize: 8, specialists: { ocr: 'ppocr-v4' } });
try {
  // in-process anchor (models loaded before the clock starts, as a long-running worker has them)
  const local = openServices(EngineConfig.parse({ ...env.config, storage: join(env.dir, 'local') }), { log: quiet });
  await local.adapters.get('ocr', 'ppocr-v4', 0);
  const plan = await roundPlanFor(local.storage, 'b', 0, env.config);
  const shards = await writeImageShards(local.storage, detectSource(world.manifest), { collection: 'b', shardSize, readSize: true });
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const t0 = performance.now();
  await runRoundLocal(plan, shards.shards, local);
  const localS = (performance.now() - t0) / 1000;
  h.disable();
  await local.close();

  // BullMQ: two worker processes (already started, models loaded on the first job)
  env.startWorker('ocr');
  env.startWorker('merge');
  const t1 = performance.now();
  const r = await fld(['enqueue', world.manifest, '--collection', 'b', '--config', env.configFile], { cwd: env.dir }).done;
  if (r.code !== 0) throw new Error(r.stderr);
  const st = await env.waitFinished('b', 0, 600_000);
  const distS = (performance.now() - t1) / 1000;
  const steady = st.images.perSecond ?? 0;

  const rows: [string, string, string][] = [
    [`BullMQ round, 2 worker processes: ${(images / distS).toFixed(1)} img/s (incl. enqueue, model load)`, `in-process executor: ${(images / localS).toFixed(1)} img/s`, ((images / distS) / (images / localS)).toFixed(2)],
    [`BullMQ round, steady (first merge start to last merge end, from the done markers): ${steady.toFixed(1)} img/s`, `in-process executor: ${(images / localS).toFixed(1)} img/s`, (steady / (images / localS)).toFixed(2)],
    [`max event-loop stall during OCR+merge shard jobs: ${(h.max / 1e6).toFixed(0)} ms (p99 ${(h.percentile(99) / 1e6).toFixed(0)} ms)`, `lock renewal period: ${DEFAULT_WORKER_POLICY.lockDuration / 2} ms`, (h.max / 1e6 / (DEFAULT_WORKER_POLICY.lockDuration / 2)).toFixed(4)],
  ];
  // what the finished round leaves in Redis (completed jobs are trimmed to the last 100 per queue)
  const { Redis } = await import('ioredis');
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
  console.log(`engine bench: ${images} images, shards of ${shardSize}, load ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
  console.log('figure | anchor | ratio');
  for (const row of rows) console.log(row.join(' | '));
  console.log(`Redis after the round: ${keys} keys, ${bytes} bytes (${Math.round(bytes / st.shards.total)} per shard)`);
} finally {
  await env.close();
  await rm(world.dir, { recursive: true, force: true });
}
