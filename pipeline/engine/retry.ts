import { MERGE_QUEUE } from './stages.ts';
import { jobId } from '../../schemas/jobs.ts';
import type { RoundKey, RoundQueue } from './round-queue.ts';

/**
 * `fld retry`: every shard of the round whose flow failed for good is run again. Its failed jobs are
 * removed (a deterministic id that still exists would make the new add a no-op), the shard goes to
 * the front of todo and the window is topped up. Stages that finished on the shard before the failure
 * have their done markers and are skipped, so only what failed runs again.
 */
export async function retryFailed(q: RoundQueue, k: RoundKey): Promise<number[]> {
  await q.topUp(k); // moves in-flight shards whose merge failed (a missed failed event) into the failed set
  const failed = await q.failedShards(k);
  const stages = await q.stages(k);
  for (const shard of failed) {
    await q.queue(MERGE_QUEUE).remove(jobId({ ...k, shard, stage: 'merge' }), { removeChildren: true });
    for (const s of stages) await q.queue(s.queue).remove(jobId({ ...k, shard, stage: s.name }));
    await q.requeueFailed(k, shard);
  }
  if (failed.length) await q.topUp(k);
  return failed;
}
