import { z } from 'zod';
import { ROUND_KINDS } from './records.ts';
import { Acceptance } from './acceptance.ts';
import { RoundQuality } from './round-quality.ts';

/**
 * The round manifest (`<collection>/round-R/_manifest.json`, docs/architecture.md, "A round and its files"): what a round is
 * made of, so that a reader needs no Redis and no config file to know what it holds. Readers check
 * `schema_version` (schemas/version.ts) before parsing the rest, so a newer manifest is refused by
 * version rather than by a field it does not know.
 */
const count = z.number().int().min(0);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');

export const ModelVersion = z.object({
  /** Role or specialist name, e.g. `detector`, `florence2`. */
  name: z.string().min(1),
  version: z.string().min(1),
  family: z.string().min(1).optional(),
  /** sha256 of the model's fld-model.json, when the model came from the registry. */
  sha256: sha256.optional(),
});
export type ModelVersion = z.infer<typeof ModelVersion>;

export const ManifestFile = z.object({
  /** Object key relative to the storage root. */
  key: z.string().min(1),
  kind: z.enum(ROUND_KINDS),
  shard: count,
  rows: count,
  bytes: count,
  sha256,
});
export type ManifestFile = z.infer<typeof ManifestFile>;

export const RoundManifest = z.object({
  schema_version: z.number().int(),
  collection: z.string().min(1),
  round: count,
  created_at: z.iso.datetime(),
  /** The resolved config the round ran with (every default filled in). */
  config: z.record(z.string(), z.unknown()),
  models: z.array(ModelVersion),
  /** Shard ids of the round, ascending. */
  shards: z.array(count),
  /** Rows per kind over all shards. */
  counts: z.object(
    Object.fromEntries(ROUND_KINDS.map((k) => [k, count])) as Record<(typeof ROUND_KINDS)[number], typeof count>,
  ),
  files: z.array(ManifestFile),
  /** Source entries that did not become images (per reason, first examples), and shards that failed for good. */
  skipped: z
    .object({
      total: count,
      byReason: z.record(z.string(), count),
      examples: z.array(z.object({ reason: z.string(), where: z.string(), message: z.string() })),
    })
    .optional(),
  failedShards: z.array(count).optional(),
  /** The verified set's thresholds and gate decisions the round's merge used (schemas/acceptance.ts). */
  acceptance: Acceptance.optional(),
  /**
   * Which thresholds the merge used: `calibrated` on the verified set (per source and class, in
   * `acceptance`), or the `configured` ones (no verified set, or its calibration turned off).
   */
  thresholds: z.enum(['calibrated', 'configured']).optional(),
  /** Label quality against a demo world's truth, added by `fld quality` (schemas/round-quality.ts; versioned on its own). */
  quality: RoundQuality.optional(),
});
export type RoundManifest = z.infer<typeof RoundManifest>;
