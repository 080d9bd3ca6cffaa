import { z } from 'zod';

/**
 * A round's label quality against a demo world's truth (demo/quality/round-quality.ts), kept in
 * the round manifest's optional `quality` field. `quality_version` versions this block on its own:
 * the field is additive, so manifests without it (every round before this) stay schema_version 1 and
 * still parse, and readers of version 1 that do not know the field ignore it. A reader refuses a
 * `quality_version` it does not know (the block, not the manifest).
 */
export const QUALITY_VERSION = 1;

const unit = z.number().min(0).max(1);
const count = z.number().int().min(0);
const CaptionQuality = z.object({ captioned: count, precision: unit, recall: unit, f1: unit });

export const QualitySet = z.object({
  /** The collection and round scored (the held-out set is its own collection, annotated by the same models). */
  collection: z.string().min(1),
  round: count,
  /** The world's folder name and seed, to say which truth it was. */
  world: z.object({ name: z.string(), seed: z.number().int().nullable() }),
  images: count,
  /** Rows left out: pre-existing truth-derived annotations (source `human`), and their groundings. */
  excluded_rows: count,
  boxes: z.object({ tp: count, fp: count, fn: count, precision: unit, recall: unit, f1: unit }),
  captions: z.object({ brief: CaptionQuality, detailed: CaptionQuality, more_detailed: CaptionQuality }),
  grounding: z.object({
    phrases: count,
    correct: count,
    accuracy: unit,
    /** The same per granularity of the grounded text. Absent in blocks scored before it was kept. */
    by_granularity: z
      .record(
        z.enum(['brief', 'detailed', 'more_detailed']),
        z.object({ phrases: count, correct: count, accuracy: unit }),
      )
      .optional(),
  }),
  /** Region descriptions on boxes that match a true object: right when they name its category (and colour). Absent in blocks scored before it was measured. */
  region_briefs: z.object({ described: count, correct: count, accuracy: unit }).optional(),
  ocr: z.object({ cer: z.number().min(0), truth_chars: count, edits: count, word_recall: unit, word_precision: unit }),
});
export type QualitySet = z.infer<typeof QualitySet>;

export const RoundQuality = z.object({
  quality_version: z.literal(QUALITY_VERSION, {
    error: (i) =>
      `quality_version ${JSON.stringify(i.input)} is not supported (this fld-engine reads ${QUALITY_VERSION})`,
  }),
  scored_at: z.iso.datetime(),
  /** `annotated`: the round's own images; `held_out`: a world collection never exported for training. */
  annotated: QualitySet,
  held_out: QualitySet.optional(),
  /** The same round's raw specialist output, before merge and filters (`fld quality --unfiltered`). */
  annotated_unfiltered: QualitySet.optional(),
  held_out_unfiltered: QualitySet.optional(),
});
export type RoundQuality = z.infer<typeof RoundQuality>;
