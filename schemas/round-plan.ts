import { z } from 'zod';
import { RefinePolicy } from './refine-config.ts';

/**
 * What a round runs, fixed when the round is first enqueued and saved beside its outputs
 * (`<collection>/round-R/_plan.json`) and in Redis: which specialists (name -> model folder or
 * built-in name), the filter config, the mini-batch size and the window. Workers read it per job, so
 * every shard of a round runs the same stages whatever config each worker machine has, and
 * `fld enqueue --resume` can rebuild the queue from storage alone.
 */
const count = z.number().int().min(0);

export const RoundPlan = z.object({
  schema_version: z.number().int(),
  collection: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, "_", "." or "-"'),
  round: count,
  /** Specialist name -> model folder, S3 prefix or built-in name (e.g. `ppocr-v4`). */
  specialists: z.record(z.string(), z.string().min(1)),
  /** Filter config as given (the filters fill their defaults). */
  filters: z.record(z.string(), z.unknown()),
  batchSize: z.number().int().min(1),
  window: z.number().int().min(1),
  /** Tries per stage job and the first retry delay (doubling), see docs/operations.md. */
  jobs: z.object({ attempts: z.number().int().min(1), backoffMs: z.number().int().min(0) }),
  /**
   * Rounds R >= 1 (`fld refine`): the model that re-annotates, the tasks each of its stages runs
   * (specialist slot -> task tokens), and how the merge combines its rows with round `previous`'s.
   * Absent in round 0.
   */
  refine: z
    .object({
      previous: count,
      model: z.string().min(1),
      tasks: z.record(z.string(), z.array(z.string().min(1)).min(1)),
      policy: RefinePolicy,
      agreeIou: z.number().gt(0).max(1),
      /**
       * Specialists retrained on round `previous` (config `refine.retrain`) -> the model folder that runs
       * in their slot (also in `specialists`). Absent when none is retrained.
       */
      retrained: z.record(z.string(), z.string().min(1)).optional(),
    })
    .optional(),
  /**
   * The verified set of the round (config `verified`, docs/architecture.md "Calibration and
   * acceptance gates"): the verified collection's own merge (`role: verified`) chooses the thresholds
   * and gate decisions and writes them (`round-R/_acceptance.json`); every other collection's merge
   * (`follower`) reads them. Absent: the configured thresholds, no gates.
   */
  acceptance: z
    .object({
      verified: z.string().min(1),
      role: z.enum(['verified', 'follower']),
      margin: z.number().min(0).max(1),
      // plans written before resampling decided by the observed figures alone
      confidence: z.number().min(0).max(1).default(0),
      minSupport: z.number().int().min(1),
      precision: z.number().gt(0).max(1).nullable(),
      calibrate: z.boolean().default(true),
      gates: z.boolean().default(true),
      targets: z.boolean().default(true),
    })
    .optional(),
  created_at: z.iso.datetime(),
});
export type RoundPlan = z.infer<typeof RoundPlan>;

/**
 * The collection's image shards (`<collection>/images/_collection.json`), written after the last
 * image shard: how many, and what the source could not turn into images (counted per reason, the
 * first examples kept with their messages) so `fld status` and the round manifest can show them.
 */
export const CollectionPlan = z.object({
  schema_version: z.number().int(),
  collection: z.string().min(1),
  source: z.string().min(1),
  shardSize: z.number().int().min(1),
  shards: count,
  images: count,
  skipped: z.object({
    total: count,
    byReason: z.record(z.string(), count),
    examples: z.array(z.object({ reason: z.string(), where: z.string(), message: z.string() })),
  }),
  created_at: z.iso.datetime(),
});
export type CollectionPlan = z.infer<typeof CollectionPlan>;

/** The fields that make two plans of one round different plans (created_at is not one). */
export const ROUND_PLAN_FIELDS = [
  'specialists',
  'filters',
  'batchSize',
  'window',
  'jobs',
  'acceptance',
  'refine',
] as const;
