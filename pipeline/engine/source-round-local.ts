import type { EngineConfig } from '../../schemas/config.ts';
import type { Source } from '../sources/types.ts';
import { shardSizeFor } from './round-acceptance.ts';
import { roundPlanFor, writeImageShards, type ImageShardSummary } from './enqueue.ts';
import { runRoundLocal } from './local-executor.ts';
import { finalizeRound } from './round-manifest.ts';
import type { Services } from './services.ts';
import type { StageOutput } from './stages.ts';

/** A shard's stages just finished (or were found done): the outputs, and the round so far. */
export interface ShardDone {
  outputs: StageOutput[];
  shardsDone: number;
  shards: number;
  imagesDone: number;
  images: number;
  /** Images of the shards run in this call (not found done), and the seconds since the first of them started. */
  imagesRun: number;
  seconds: number;
  /** Every stage of the shard was done before this call. */
  before: boolean;
}

/**
 * A round of a collection in this process, from its source: plan (or the saved plan), image shards
 * (listed once; a re-run reuses them), every stage of every shard (shards with a done marker are
 * skipped), then the round manifest. `manifest` is null while a shard is unfinished. What `fld run`
 * does for one round and `fld run --rounds` for round 0. `onListed` hears of the image shards (and
 * the skipped entries) before any specialist runs; `onShard` after each shard, with the round's progress.
 */
export async function runSourceRoundLocal(
  services: Services,
  config: EngineConfig,
  source: () => Source,
  collection: string,
  round: number,
  onShard?: (shard: number, done: ShardDone) => void,
  onListed?: (shards: ImageShardSummary) => void,
): Promise<{ manifest: string | null; shards: ImageShardSummary }> {
  const plan = await roundPlanFor(services.storage, collection, round, config);
  const shards = await writeImageShards(services.storage, source(), {
    collection,
    shardSize: shardSizeFor(plan, config.shardSize),
    readSize: true,
  });
  onListed?.(shards);
  const progress = { shardsDone: 0, imagesDone: 0, imagesRun: 0 };
  const started = performance.now();
  await runRoundLocal(
    plan,
    shards.shards,
    services,
    onShard &&
      ((s, outputs) => {
        const images = outputs.find((o) => o.stage === 'merge')?.counts.images ?? 0;
        const before = outputs.every((o) => o.skipped);
        progress.shardsDone++;
        progress.imagesDone += images;
        if (!before) progress.imagesRun += images;
        onShard(s, {
          outputs,
          ...progress,
          shards: shards.shards.length,
          images: shards.images,
          seconds: (performance.now() - started) / 1000,
          before,
        });
      }),
  );
  return { manifest: await finalizeRound(services.storage, plan, new Set()), shards };
}
