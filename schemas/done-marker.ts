import { z } from 'zod';

/**
 * The completion marker of one stage on one shard (`round-R/_done/<stage>/shard-NNNNN.json`),
 * written after the stage's outputs, so its presence means they are complete. It carries the
 * shard's stats (docs/architecture.md, "The stage contract": total / kept / dropped per reason and time per step), which
 * add up across shards.
 */
const count = z.number().int().min(0);

export const StepStats = z.object({
  total: count,
  kept: count,
  /** Dropped items per reason. */
  dropped: z.record(z.string(), count),
  ms: z.number().min(0),
});
export type StepStats = z.infer<typeof StepStats>;

export const DoneMarker = z.object({
  schema_version: z.number().int(),
  /** e.g. `annotate:detector`, `merge`. */
  stage: z.string().min(1),
  shard: count,
  /** Rows written per output kind (or per raw output). */
  counts: z.record(z.string(), count),
  /** Stats per step of the stage (a filter, a model), keyed by step name. */
  stats: z.record(z.string(), StepStats),
  finished_at: z.iso.datetime(),
  /** Wall time of the whole stage on this shard. */
  ms: z.number().min(0),
  /** Files the stage wrote (merge: the round's kind shards), for the round manifest without re-reading them. */
  files: z
    .array(
      z.object({
        key: z.string().min(1),
        kind: z.string().min(1),
        rows: count,
        bytes: count,
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    )
    .optional(),
});
export type DoneMarker = z.infer<typeof DoneMarker>;
