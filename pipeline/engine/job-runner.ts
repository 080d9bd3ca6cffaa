import type { Job } from 'bullmq';
import { ShardJob } from '../../schemas/jobs.ts';
import { validate } from '../../schemas/validate.ts';
import { finalizeRound } from './round-manifest.ts';
import type { RoundKey, RoundQueue } from './round-queue.ts';
import { roundStages } from './round-stages.ts';
import { runStage } from './run-stage.ts';
import type { Services } from './services.ts';
import type { StageOutput } from './stages.ts';

/**
 * What a BullMQ worker does with a shard job, kept here (not in workers/) so tests reach it: build the
 * stage of the job's round under the plan in force, with this process's services, run it (run-stage.ts:
 * skipped when its marker exists, marker written last) with a heartbeat that extends the job's lock
 * and reports progress per mini-batch, and after a merge free its window slot and top the window up.
 */
export function shardProcessor(engine: { q: RoundQueue; services: Services }, lockDuration: number) {
  const { q, services } = engine;
  return async (job: Job, token?: string): Promise<StageOutput> => {
    const data = validate(ShardJob, job.data, `job ${job.id} on ${job.queueName}`);
    const k = { collection: data.collection, round: data.round };
    const plan = await q.plan(k);
    const stage = roundStages(plan, services).find((s) => s.name === data.stage);
    if (!stage) throw new Error(`job ${job.id}: round ${data.round} of ${data.collection} has no stage ${data.stage}`);
    if (stage.queue !== job.queueName)
      throw new Error(`job ${job.id}: stage ${stage.name} belongs on ${stage.queue}, not ${job.queueName}`);
    let last = 0;
    const out = await runStage(stage, {
      storage: services.storage,
      collection: data.collection,
      round: data.round,
      shard: data.shard,
      plan,
      log: services.log.child({ job: job.id, stage: stage.name, shard: data.shard }),
      heartbeat: async (done, total) => {
        // at most once a second: a heartbeat per mini-batch of a fast stage would be Redis chatter
        const now = Date.now();
        if (now - last < 1000 && done < total) return new Promise<void>((r) => setImmediate(r));
        last = now;
        if (token) await job.extendLock(token, lockDuration);
        await job.updateProgress({ done, total });
      },
    });
    if (stage.name === 'merge') await afterShard(q, k);
    return out;
  };
}

/** Whether this failure was the job's last try. */
export function isFinalFailure(job: Job, err: Error): boolean {
  return err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/**
 * A worker's `failed` handler: every failed try is recorded (the last errors of `fld status`); the
 * last one marks the shard failed, which frees its window slot for the next shard. BullMQ fails the
 * parent merge by itself (failParentOnFailure), so no flow waits forever.
 */
export async function onJobFailed(q: RoundQueue, job: Job | undefined, err: Error): Promise<void> {
  if (!job) return;
  const parsed = ShardJob.safeParse(job.data);
  if (!parsed.success) return;
  const d = parsed.data;
  const k = { collection: d.collection, round: d.round };
  const final = isFinalFailure(job, err);
  const message = `${final ? 'failed for good' : 'failed, will retry'} (try ${job.attemptsMade}/${job.opts.attempts ?? 1}): ${err.message}`;
  if (final) await q.markFailed(k, d.shard, { stage: d.stage, message });
  else await q.recordError(k, { shard: d.shard, stage: d.stage, message });
  if (final) await afterShard(q, k);
}

/** Tops up the window; when nothing is left in flight or to do, writes the round manifest. */
export async function afterShard(q: RoundQueue, k: RoundKey): Promise<string | null> {
  await q.topUp(k);
  const failed = await q.settledFailures(k);
  if (!failed) return null;
  return finalizeRound(q.storage, await q.plan(k), new Set(failed));
}

/** Reconciles and tops up every round this Redis knows that still has work (the workers' timer). */
export async function topUpAll(q: RoundQueue): Promise<void> {
  for (const k of await q.rounds()) if (await q.hasWork(k)) await afterShard(q, k);
}
