import type { EngineConfig } from '../../schemas/config.ts';
import type { Source } from '../sources/types.ts';
import { shardSizeFor } from './acceptance.ts';
import { roundPlanFor, writeImageShards, type ImageShardSummary } from './enqueue.ts';
import { runRoundLocal } from './local-executor.ts';
import { finalizeRound } from './round-manifest.ts';
import type { Services } from './services.ts';

/**
 * A round of a collection in this process, from its source: plan (or the saved plan), image shards
 * (listed once; a re-run reuses them), every stage of every shard (shards with a done marker are
 * skipped), then the round manifest. `manifest` is null while a shard is unfinished. What `fld run`
 * does for one round and `fld run --rounds` for round 0.
 */
export async function runSourceRoundLocal(
  services: Services,
  config: EngineConfig,
  source: () => Source,
  collection: string,
  round: number,
  onShard?: (shard: number) => void,
): Promise<{ manifest: string | null; shards: ImageShardSummary }> {
  const plan = await roundPlanFor(services.storage, collection, round, config);
  const shards = await writeImageShards(services.storage, source(), { collection, shardSize: shardSizeFor(plan, config.shardSize), readSize: true });
  await runRoundLocal(plan, shards.shards, services, onShard && ((s) => onShard(s)));
  return { manifest: await finalizeRound(services.storage, plan, new Set()), shards };
}
