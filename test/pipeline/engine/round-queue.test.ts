// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RoundQueue } from '../../../pipeline/engine/round-queue.ts';
import { layout } from '../../../pipeline/layout.ts';
import { RoundPlan } from '../../../schemas/round-plan.ts';
import { SCHEMA_VERSION } from '../../../schemas/version.ts';
import { MemoryStorage } from '../../helpers/memory-storage.ts';
import { REDIS } from './harness.ts';

/**
 * A round's state as RoundQueue answers it by meaning, on a real Redis: what is pending, in flight and
 * failed, when the round has settled, a failed shard sent back to todo, the last errors.
 */
test('RoundQueue: state, settled failures, requeue of a failed shard, last errors', { timeout: 60_000 }, async () => {
  const prefix = `{fldtest-rq-${process.pid}-${Date.now()}}`;
  const redis = new Redis(REDIS, { maxRetriesPerRequest: null });
  const storage = new MemoryStorage();
  const q = new RoundQueue(redis, prefix, storage);
  const k = { collection: 'rq', round: 0 };
  try {
    await q.registerRound(
      RoundPlan.parse({
        schema_version: SCHEMA_VERSION,
        ...k,
        specialists: {},
        filters: {},
        batchSize: 4,
        window: 2,
        jobs: { attempts: 1, backoffMs: 0 },
        created_at: new Date().toISOString(),
      }),
    );
    assert.deepEqual(
      (await q.stages(k)).map((s) => s.name),
      ['merge'],
      'a round with no specialist is merge alone',
    );
    assert.equal(await q.registerShards(k, [0, 1, 2]), 3);
    assert.deepEqual(await q.state(k), { pending: 3, inflight: [], failed: [], lastErrors: [] });
    assert.equal(await q.hasWork(k), true);
    assert.equal(await q.settledFailures(k), null, 'shards still to do');

    assert.deepEqual(await q.topUp(k), [0, 1], 'the window holds two');
    const s = await q.state(k);
    assert.deepEqual([s.pending, [...s.inflight].sort()], [1, [0, 1]]);

    await q.markFailed(k, 0, { stage: 'merge', message: 'boom' });
    // shard 1 is done by its merge marker: the next top-up takes it out of the window and claims shard 2
    await storage.put(layout.done(k.collection, k.round, 'merge', 1), '{}');
    assert.deepEqual(await q.topUp(k), [2]);
    await storage.put(layout.done(k.collection, k.round, 'merge', 2), '{}');
    await q.topUp(k);
    assert.equal(await q.settledFailures(k), null, 'not settled before every shard is registered');
    await q.markPlanned(k, 3);
    assert.deepEqual(await q.settledFailures(k), [0]);
    assert.equal(await q.hasWork(k), false);
    const settled = await q.state(k);
    assert.deepEqual(settled.failed, [0]);
    assert.deepEqual(
      settled.lastErrors.map((e) => [e.shard, e.stage, e.message]),
      [[0, 'merge', 'boom']],
    );

    assert.deepEqual(await q.failedShards(k), [0]);
    await q.requeueFailed(k, 0);
    assert.deepEqual(await q.failedShards(k), []);
    assert.equal((await q.state(k)).pending, 1);
    assert.equal(await q.hasWork(k), true);
  } finally {
    await q.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
});
