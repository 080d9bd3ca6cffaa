import { z } from 'zod';

/** Specialists that run an ORT model and so take thread settings (pipeline/engine/adapters.ts). */
export const ORT_SPECIALISTS = ['ocr', 'detector', 'captioner', 'grounding', 'region_caption'] as const;

const threadFields = {
  /** ORT intra-op threads per session; 0 lets ORT choose (all cores, wrong when workers share a machine). */
  intraOpNumThreads: z.number().int().min(0).max(1024),
  /** ORT inter-op threads per session (> 1 runs independent graph branches in parallel). */
  interOpNumThreads: z.number().int().min(0).max(1024),
  /** Sessions of the model, a batch split among them; applies to the detector only for now. */
  replicas: z.number().int().min(1).max(64),
  /** ORT intra-op threads spin-wait between ops (ORT's own default; ours is off, see specialists/ort-options.ts). */
  spinning: z.boolean(),
};

/**
 * ORT thread settings of the specialists' models (`ort` in the config file). The top-level fields
 * apply to every specialist; `perSpecialist` overrides some of them for one. On CPU a batch saves a
 * conv net no work per image; what it offers is independent images, which detector replicas (each its
 * own session and worker thread) run on separate cores (docs/decisions.md, batching section).
 */
export const OrtConfig = z
  .object({
    /** @default 1 */
    intraOpNumThreads: threadFields.intraOpNumThreads.default(1),
    /** @default 1 */
    interOpNumThreads: threadFields.interOpNumThreads.default(1),
    /** A YOLO detector only for now (others, a Florence-2 folder in the detector slot included, ignore it); each replica holds its own copy of the weights. @default 1 */
    replicas: threadFields.replicas.default(1),
    /** @default false */
    spinning: threadFields.spinning.default(false),
    /**
     * Specialist (`ocr`, `detector`, `captioner`, `grounding`, `region_caption`) -> fields that differ
     * from the ones above. Florence-2 specialists on the same folder share one loaded model only when
     * their settings are the same. @default {}
     */
    perSpecialist: z.partialRecord(z.enum(ORT_SPECIALISTS), z.object(threadFields).partial().strict()).default({}),
  })
  .strict();
export type OrtConfig = z.infer<typeof OrtConfig>;
export type OrtThreads = Omit<OrtConfig, 'perSpecialist'>;

/** The settings of one specialist: its overrides over the top-level fields. */
export function ortThreadsFor(ort: OrtConfig, specialist: string): OrtThreads {
  const own = ort.perSpecialist[specialist as (typeof ORT_SPECIALISTS)[number]] ?? {};
  return {
    intraOpNumThreads: own.intraOpNumThreads ?? ort.intraOpNumThreads,
    interOpNumThreads: own.interOpNumThreads ?? ort.interOpNumThreads,
    replicas: own.replicas ?? ort.replicas,
    spinning: own.spinning ?? ort.spinning,
  };
}
