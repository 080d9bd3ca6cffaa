// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { EngineConfig } from '../../../schemas/config.ts';
import { enqueueRound, roundPlanFor } from '../../../pipeline/engine/enqueue.ts';
import { openEngine } from '../../../pipeline/engine/open-engine.ts';
import { JsonlManifestSource } from '../../../pipeline/sources/manifest-jsonl.ts';
import { quiet } from './harness.ts';
import { startPlainRedis, type RedisServers } from './redis-servers.ts';

/**
 * Bounded Redis, test-sized (the 1,000,000-image figure is bench/redis-planning.bench.ts): planning
 * 20,000 images in 20 shards of 1000 leaves about as much in Redis as 2,000 images in 20 shards of
 * 100, because a job carries a pointer to its shard (collection, round, shard, stage), never the
 * image list; and the window, not the manifest, bounds the jobs in Redis. Private redis-server, so
 * every key counted is this test's.
 */
let redis: RedisServers & { url: string };
let dir: string;
before(async () => {
  [redis, dir] = await Promise.all([startPlainRedis(), mkdtemp(join(tmpdir(), 'fld-redis-bounded-'))]);
});
after(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function enqueueAndMeasure(
  images: number,
  shardSize: number,
  prefix: string,
): Promise<{ bytes: number; jobs: number; maxData: number; shards: number }> {
  const manifest = join(dir, `m-${images}.jsonl`);
  const lines: string[] = [];
  for (let i = 0; i < images; i++)
    lines.push(
      JSON.stringify({ uri: `img/${String(i).padStart(8, '0')}.jpg`, alt_text: `a photo of thing number ${i}` }),
    );
  await writeFile(manifest, lines.join('\n') + '\n');
  const config = EngineConfig.parse({
    storage: join(dir, `data-${images}`),
    redis: redis.url,
    queuePrefix: prefix,
    shardSize,
    window: 4,
  });
  const engine = await openEngine(config, { log: quiet });
  const admin = new Redis(redis.url);
  try {
    const plan = await roundPlanFor(engine.q.storage, 'c', 0, config);
    const sum = await enqueueRound(engine.q, plan, new JsonlManifestSource(manifest, { checkFiles: false }), {
      shardSize,
    });
    assert.equal(sum.images, images);
    let bytes = 0;
    let jobs = 0;
    let maxData = 0;
    for (const k of await admin.keys(`${prefix}*`)) {
      bytes += (await admin.memory('USAGE', k)) ?? 0;
      const data = (await admin.type(k)) === 'hash' ? await admin.hget(k, 'data') : null;
      if (data !== null) jobs++, (maxData = Math.max(maxData, data.length));
    }
    return { bytes, jobs, maxData, shards: sum.shards.length };
  } finally {
    admin.disconnect();
    await engine.close();
  }
}

test('Redis holds pointers, not image lists: 10x the images in as many shards costs about the same Redis memory; jobs bounded by the window', {
  timeout: 120_000,
}, async (t) => {
  const small = await enqueueAndMeasure(2_000, 100, '{small}');
  const large = await enqueueAndMeasure(20_000, 1000, '{large}');
  t.diagnostic(
    `2,000 images: ${small.bytes} bytes, ${small.jobs} jobs; 20,000 images: ${large.bytes} bytes, ${large.jobs} jobs; largest job payload ${large.maxData} bytes`,
  );
  assert.equal(small.shards, 20);
  assert.equal(large.shards, 20);
  assert.equal(large.jobs, small.jobs, 'the same jobs (window x stages), whatever the shard size');
  assert.equal(large.jobs, 4 * 1, 'window 4, one stage (merge) per shard: only the window is in BullMQ');
  assert.ok(large.maxData < 200, `a job payload is a pointer (${large.maxData} bytes)`);
  assert.ok(large.bytes < small.bytes * 1.1, `Redis bytes do not follow the images (${small.bytes} -> ${large.bytes})`);
});
