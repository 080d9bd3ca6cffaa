import type { EngineConfig } from '../../schemas/config.ts';
import { resumeRound, type EnqueueSummary } from './enqueue.ts';
import { runRoundLocal } from './local-executor.ts';
import { listImageShards } from './plan-files.ts';
import { refinePlanFor, type RefinePlanOptions, type RefinePlanResult } from './refine-plan.ts';
import { finalizeRound } from './round-manifest.ts';
import type { RoundQueue } from './round-queue.ts';
import type { Services } from './services.ts';

/**
 * A refinement round over the collection's image shards (written by round 0's enqueue, never read
 * from the source again): on BullMQ workers, the same registration and flows as `fld enqueue --resume`
 * (shards whose merge marker exists are not queued again), or in this process.
 */
export async function enqueueRefineRound(
  q: RoundQueue,
  config: EngineConfig,
  collection: string,
  round: number,
  opts: RefinePlanOptions,
): Promise<RefinePlanResult & { summary: EnqueueSummary }> {
  const planned = await refinePlanFor(q.storage, collection, round, config, opts);
  return { ...planned, summary: await resumeRound(q, collection, round) };
}

export async function runRefineRoundLocal(
  services: Services,
  config: EngineConfig,
  collection: string,
  round: number,
  opts: RefinePlanOptions & { onShard?: (shard: number) => void },
): Promise<RefinePlanResult & { shards: number[]; manifest: string | null }> {
  const planned = await refinePlanFor(services.storage, collection, round, config, opts);
  const shards = await listImageShards(services.storage, collection);
  await runRoundLocal(planned.plan, shards, services, (s) => opts.onShard?.(s));
  const manifest = await finalizeRound(services.storage, planned.plan, new Set());
  return { ...planned, shards, manifest };
}
