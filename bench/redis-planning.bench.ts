/**
 * Bounded Redis while planning: `enqueueRound` (what `fld enqueue` runs) on a
 * 1,000,000-line JSONL manifest, planning only (no workers): image shards of 1000 written to a local
 * folder, every shard registered in Redis, the window's flows added. A private redis-server on a
 * loopback port is the only client, so its `used_memory` is ours alone: printed before, after, the
 * highest sampled every 20 ms, and Redis's own `used_memory_peak`; bound 64 MB. Rate on CPU time:
 * images per CPU second of the planner process plus Redis's own (INFO cpu), against the 20,000/s
 * floor (exit 1 below); CPU per image beside the bare read of the same file (readline +
 * JSON.parse) in the same run. Wall time is printed, never judged (the machine is shared).
 * Files are not checked on disk (they do not exist; bench/plan.bench.ts measures checked planning).
 * The round has all five specialists (model folders that hold only a manifest: no worker runs, so
 * none is loaded), so each shard in flight is six jobs. FLD_BENCH_REDIS_PLAN_WINDOW
 * (default 8, the config default) sets the window, for the scale model in docs/operations.md.
 *   npm run bench -- redis-planning          (FLD_BENCH_REDIS_PLAN_N=100000 for a quick run)
 */
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { MODEL_MANIFEST_FILE } from '../schemas/model-manifest.ts';
import { EngineConfig } from '../schemas/config.ts';
import { enqueueRound, roundPlanFor } from '../pipeline/engine/enqueue.ts';
import { openEngine } from '../pipeline/engine/open-engine.ts';
import { createLogger } from '../pipeline/log.ts';
import { JsonlManifestSource } from '../pipeline/sources/manifest-jsonl.ts';
import { startPlainRedis } from '../test/pipeline/engine/redis-servers.ts';

const N = Number(process.env.FLD_BENCH_REDIS_PLAN_N ?? 1_000_000);
const SHARD = 1000;
const WINDOW = Number(process.env.FLD_BENCH_REDIS_PLAN_WINDOW ?? 8);
const FLOOR = 20_000;
const BOUND = 64 * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'fld-redis-plan-bench-'));
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MB`;

const rel = (i: number) => `img/${String(Math.floor(i / 1000)).padStart(4, '0')}/${String(i).padStart(8, '0')}.jpg`;
const line = (i: number) =>
  JSON.stringify({
    uri: rel(i),
    alt_text: `a photo of thing number ${i} on a table`,
    boxes: i % 10 === 0 ? [{ box: [1, 2, 30, 40], category: 'thing' }] : undefined,
  });

/** Redis's own CPU seconds so far (user + system, INFO cpu). */
async function redisCpu(r: Redis): Promise<number> {
  const info = await r.info('cpu');
  const field = (k: string) => Number(info.match(new RegExp(`^${k}:([\\d.]+)`, 'm'))?.[1]);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** CPU seconds of this process (every thread) since `from`. */
const cpuSince = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};

async function usedMemory(r: Redis): Promise<{ used: number; peak: number }> {
  const info = await r.info('memory');
  const field = (k: string) => Number(info.match(new RegExp(`^${k}:(\\d+)`, 'm'))?.[1]);
  return { used: field('used_memory'), peak: field('used_memory_peak') };
}

const server = await startPlainRedis();
const admin = new Redis(server.url);
let failed = false;
try {
  const manifest = join(dir, 'manifest.jsonl');
  const out = createWriteStream(manifest);
  for (let i = 0; i < N; i++) if (!out.write(line(i) + '\n')) await once(out, 'drain');
  out.end();
  await once(out, 'finish');

  let cpu0 = process.cpuUsage();
  for await (const l of createInterface({
    input: createReadStream(manifest, { encoding: 'utf8', highWaterMark: 1 << 20 }),
    crlfDelay: Infinity,
  })) {
    JSON.parse(l);
  }
  const bareCpu = cpuSince(cpu0);

  // all five specialists, so each flow is the full six jobs; no worker runs, so no model is loaded:
  // a folder with a manifest is all that enqueue's check of the model references looks for
  const f2 = join(dir, 'florence2-model');
  for (const m of [f2, join(dir, 'yolo-model')]) {
    mkdirSync(m);
    writeFileSync(join(m, MODEL_MANIFEST_FILE), '{}\n');
  }
  const specialists = {
    detector: join(dir, 'yolo-model'),
    region_caption: f2,
    ocr: 'ppocr-v4',
    captioner: f2,
    grounding: f2,
  };
  const config = EngineConfig.parse({
    storage: join(dir, 'data'),
    redis: server.url,
    queuePrefix: '{bench}',
    shardSize: SHARD,
    window: WINDOW,
    specialists,
  });
  const engine = await openEngine(config, { log: createLogger({ level: 'silent' }) });
  const before = await usedMemory(admin);
  let sampled = before.used;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      sampled = Math.max(sampled, (await usedMemory(admin)).used);
      await new Promise((r) => setTimeout(r, 20));
    }
  })().catch(() => {}); // a failed enqueue disconnects the admin client under it; that error is the one to show
  const redisCpu0 = await redisCpu(admin);
  const t0 = performance.now();
  cpu0 = process.cpuUsage();
  const plan = await roundPlanFor(engine.q.storage, 'bench', 0, config);
  const sum = await enqueueRound(engine.q, plan, new JsonlManifestSource(manifest, { checkFiles: false }), {
    shardSize: SHARD,
  });
  const plannerCpu = cpuSince(cpu0);
  const secs = (performance.now() - t0) / 1000;
  sampling = false;
  await sampler;
  const serverCpu = (await redisCpu(admin)) - redisCpu0;
  const afterMem = await usedMemory(admin);
  const keys = await admin.dbsize();
  // the biggest job payload in Redis: a pointer (collection, round, shard, stage), never image lists
  let maxData = 0;
  for (const k of await admin.keys('{bench}:fld.*'))
    if ((await admin.type(k)) === 'hash') maxData = Math.max(maxData, ((await admin.hget(k, 'data')) ?? '').length);
  // where the bytes are: the round's own keys (grow with shards) and BullMQ's (grow with the window)
  const sizes: [string, number][] = [];
  for (const k of await admin.keys('*')) sizes.push([k, (await admin.memory('USAGE', k)) ?? 0]);
  sizes.sort((a, b) => b[1] - a[1]);
  const jobBytes = sizes.filter(([k]) => /^\{bench\}:fld\.\w+:[^:]+\.\d+$/.test(k));
  const inflight = await admin.scard('{bench}:engine:bench:0:inflight');
  let imageBytes = 0;
  for await (const key of engine.q.storage.list('bench/images/'))
    imageBytes += (await stat(join(dir, 'data', key))).size;
  await engine.close();
  if (sum.images !== N) throw new Error(`planned ${sum.images} images, expected ${N}`);

  const cpu = plannerCpu + serverCpu;
  const rate = N / cpu;
  const us = (sec: number) => `${((sec * 1e6) / N).toFixed(2)} us`;
  const peak = Math.max(sampled, afterMem.peak);
  console.log(
    `redis-planning bench: ${fmt(N)} images, shards of ${SHARD}, window ${config.window}, ${sum.shards.length} shards registered, ${keys} Redis keys after, largest job payload ${maxData} bytes`,
  );
  console.log('figure | anchor | ratio');
  console.log(
    `enqueue (plan + write image shards + register) ${fmt(N)} images: ${fmt(rate)} images per CPU second (planner ${plannerCpu.toFixed(1)} s + Redis ${serverCpu.toFixed(1)} s CPU; ${secs.toFixed(1)} s wall, not judged) | floor ${fmt(FLOOR)}/s | ${(rate / FLOOR).toFixed(2)}`,
  );
  console.log(
    `same enqueue: ${us(cpu)} CPU/image (planner ${us(plannerCpu)}, Redis ${us(serverCpu)}) | bare readline + JSON.parse of the manifest: ${us(bareCpu)} CPU/image | ${(cpu / bareCpu).toFixed(2)}`,
  );
  console.log(
    `Redis used_memory: before ${mb(before.used)}, after ${mb(afterMem.used)}, peak ${mb(peak)} (sampled max ${mb(sampled)}, used_memory_peak ${mb(afterMem.peak)}) | bound ${mb(BOUND)} | ${(peak / BOUND).toFixed(3)}`,
  );
  console.log(
    `Redis per shard in flight (6 jobs each): ${fmt((afterMem.used - before.used) / inflight)} bytes (${inflight} in flight; growth / in flight, so the fixed cost of queues and scripts is in it: read it at a large window) | - | -`,
  );
  console.log(
    `Redis growth per image: ${((afterMem.used - before.used) / N).toFixed(3)} bytes | per shard: ${fmt((afterMem.used - before.used) / sum.shards.length)} bytes | -`,
  );
  const roundKeys = sizes.filter(([k]) => k.includes(':engine:'));
  console.log(
    `round keys: ${roundKeys.map(([k, b]) => `${k.replace(/^.*:/, '')} ${fmt(b)} B`).join(', ')}; ${jobBytes.length} job hashes, ${fmt(jobBytes.reduce((a, [, b]) => a + b, 0) / Math.max(1, jobBytes.length))} B each on average; all keys ${fmt(sizes.reduce((a, [, b]) => a + b, 0))} B`,
  );
  console.log(
    `image shards in storage: ${fmt(imageBytes)} bytes, ${(imageBytes / N).toFixed(1)} bytes per image record | - | -`,
  );
  failed = peak >= BOUND || rate < FLOOR;
} finally {
  admin.disconnect();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
if (failed) {
  console.error('below the floor or over the memory bound');
  process.exit(1);
}
