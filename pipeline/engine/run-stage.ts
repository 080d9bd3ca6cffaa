import { readDoneMarkerAt, writeDoneMarkerAt } from '../shards/round-files.ts';
import type { Stage, StageContext, StageOutput } from './stages.ts';

/**
 * One stage on one shard, as every executor runs it (docs/architecture.md, "The stage contract"): a
 * stage whose marker exists is skipped (a re-run after a stall, a retry, a resumed round), else its
 * work runs and the marker is written last, so a marker means every output of the stage is complete.
 */
export async function runStage(stage: Stage, ctx: StageContext): Promise<StageOutput> {
  const { storage, shard } = ctx;
  const marker = stage.marker(ctx);
  const existing = await readDoneMarkerAt(storage, marker, stage.name, shard);
  if (existing) return { stage: stage.name, shard, marker, counts: existing.counts, skipped: true };
  const started = performance.now();
  const { counts, stats, files } = await stage.work(ctx);
  await writeDoneMarkerAt(storage, marker, {
    stage: stage.name,
    shard,
    counts,
    stats,
    finished_at: new Date().toISOString(),
    ms: performance.now() - started,
    files,
  });
  return { stage: stage.name, shard, marker, counts, skipped: false };
}
