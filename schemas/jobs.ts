import { z } from 'zod';

/**
 * BullMQ job payloads: pointers only (docs/architecture.md, "The data path"), never image bytes or annotations, so
 * Redis memory per job stays at a few hundred bytes whatever the shard holds.
 */
export const STAGE_PATTERN = /^(annotate|refine):[a-z0-9_.-]+$|^(merge|export|train)$/;

export const ShardJob = z.object({
  collection: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, "_", "." or "-"'),
  round: z.number().int().min(0),
  shard: z.number().int().min(0),
  stage: z.string().regex(STAGE_PATTERN, 'must be annotate:<name>, refine:<name>, merge, export or train'),
});
export type ShardJob = z.infer<typeof ShardJob>;

/** Deterministic BullMQ job id: adding the same job twice is a no-op (ids may not contain ':'). */
export function jobId(j: ShardJob): string {
  return `${j.collection}.${j.round}.${j.stage.replace(':', '-')}.${String(j.shard).padStart(5, '0')}`;
}
