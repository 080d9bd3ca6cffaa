import { z } from 'zod';

/**
 * What a verified set decided for one round (docs/architecture.md, "Calibration and acceptance
 * gates"): per source and class, the score threshold the filters use; per kind and class, whether
 * the round's merged rows replace the previous round's. Written by the verified collection's merge
 * (`<verified>/round-R/_acceptance.json`) before its rows, read by the merge of every collection of
 * that round, and copied into each round manifest. Deterministic: no timestamps, sorted keys.
 */

/** A score threshold: rows of the source and class scored at least this stay; `off` drops them all. */
export const Threshold = z.union([z.number().min(0).max(1), z.literal('off')]);
export type Threshold = z.infer<typeof Threshold>;

const rate = z.number().min(0).max(1);

export const Figures = z.object({ precision: rate, recall: rate, f1: rate });
export type Figures = z.infer<typeof Figures>;

export const CalibrationEntry = z.object({
  threshold: Threshold,
  /** How it was chosen: the best F1 on the verified set, the lowest threshold meeting `precision`, or the configured default (too little evidence). */
  rule: z.enum(['max-f1', 'precision', 'default']),
  /** Verified instances of the class, and the source's candidate rows of it. */
  support: z.number().int().min(0),
  candidates: z.number().int().min(0),
  /** The source's own figures on the verified set at that threshold. */
  at: Figures,
});
export type CalibrationEntry = z.infer<typeof CalibrationEntry>;

/** source -> class -> entry; classes are categories (boxes) or granularities (texts). */
const table = z.record(z.string(), z.record(z.string(), CalibrationEntry));

export const GateKind = z.enum(['boxes', 'texts', 'groundings', 'ocr']);
export type GateKind = z.infer<typeof GateKind>;

export const GateDecision = z.object({
  kind: GateKind,
  /** Category (boxes), granularity (texts, groundings), `all` (ocr). */
  class: z.string().min(1),
  /** `new`: the round's merged rows stand; `previous`: the previous round's rows of the class are kept. */
  decision: z.enum(['new', 'previous']),
  new: Figures,
  previous: Figures,
  /** Verified instances the figures are over. */
  support: z.number().int().min(0),
  /** Texts: verified images with a text of the class, new and previous (the new rows may not cover fewer). */
  coverage: z.object({ new: z.number().int().min(0), previous: z.number().int().min(0) }).optional(),
  /** Share of paired bootstrap resamples of the verified images in which the new rows are still higher by the margin (0 when they are not higher at all); the new rows need `confidence` of them. */
  ahead: rate.optional(),
});
export type GateDecision = z.infer<typeof GateDecision>;

export const Acceptance = z.object({
  schema_version: z.number().int(),
  /** The verified collection and round that decided. */
  verified: z.string().min(1),
  round: z.number().int().min(0),
  images: z.number().int().min(0),
  margin: z.number().min(0),
  /** The share of resamples a gain had to hold in (absent in decisions made before resampling). */
  confidence: rate.optional(),
  calibration: z.object({ boxes: table, texts: table }),
  /** Empty in round 0 (nothing to compare with). */
  gates: z.array(GateDecision),
  /** Per granularity, the text sources ranked by their F1 on the verified set (the export's caption choice). */
  textSources: z.record(z.string(), z.array(z.object({ source: z.string(), f1: rate }))),
});
export type Acceptance = z.infer<typeof Acceptance>;

/** Config `verified`: which collection decides, and how (schemas/config.ts). */
export const VerifiedConfig = z
  .object({
    /** The verified collection's name; null: no verified set, the configured thresholds apply and no gate runs. @default null */
    collection: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, "_", "." or "-"')
      .nullable()
      .default(null),
    /** Where its images and human-checked labels are (any source `fld enqueue` reads); `fld run` enqueues it. @default null */
    source: z.string().min(1).nullable().default(null),
    /** A round's rows of a class replace the previous round's only when their F1 on the verified set is higher by at least this. @default 0.01 */
    margin: z.number().min(0).max(1).default(0.01),
    /**
     * ...and when they are still higher by the margin in at least this share of paired bootstrap
     * resamples of the verified images (0: the observed figures alone decide). @default 0.9
     */
    confidence: z.number().min(0).max(1).default(0.9),
    /** Classes with fewer verified instances (or a source with fewer candidate rows of the class) keep the configured threshold. @default 5 */
    minSupport: z.number().int().min(1).default(5),
    /** null: thresholds maximise F1; a number: the lowest threshold whose precision reaches it. @default null */
    precision: z.number().gt(0).max(1).nullable().default(null),
    /** The levers, each on by default (off: for an ablation; the decision is still computed and recorded). */
    /** Merges use the calibrated thresholds (off: the configured ones). @default true */
    calibrate: z.boolean().default(true),
    /** Rounds >= 1 keep the previous round's rows of a class the new ones do not beat (off: the new rows stand). @default true */
    gates: z.boolean().default(true),
    /** The export takes each image's caption from the text source the verified set ranks best (off: trusted, then best scored). @default true */
    targets: z.boolean().default(true),
  })
  .strict();
export type VerifiedConfig = z.infer<typeof VerifiedConfig>;
