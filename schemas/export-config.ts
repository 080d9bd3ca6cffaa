import { z } from 'zod';

/**
 * The training export's options (`export` in the config file; docs/training-stage.md). Every field has a
 * default, so `export: {}` is valid. The export is a pure function of the round's shards and these
 * options: the same inputs and seed give byte-identical files.
 */
export const EXPORT_TASKS = [
  '<OD>',
  '<CAPTION>',
  '<DETAILED_CAPTION>',
  '<MORE_DETAILED_CAPTION>',
  '<CAPTION_TO_PHRASE_GROUNDING>',
  '<OCR_WITH_REGION>',
  '<REGION_TO_DESCRIPTION>',
  '<DENSE_REGION_CAPTION>',
] as const;
export type ExportTask = (typeof EXPORT_TASKS)[number];

const fraction = z.number().min(0).max(1);

/** Task -> fraction of the images that support the task which get a row for it (0 leaves the task out). */
const TaskMix = z
  .object(
    Object.fromEntries(EXPORT_TASKS.map((t) => [t, fraction.default(1)])) as Record<
      ExportTask,
      z.ZodDefault<typeof fraction>
    >,
  )
  .strict();

const Splits = z
  .object({ train: fraction.default(0.9), valid: fraction.default(0.1), test: fraction.default(0) })
  .strict()
  .refine((s) => Math.abs(s.train + s.valid + s.test - 1) < 1e-9, 'split fractions must add up to 1');

export const ExportConfig = z
  .object({
    /** Seeds the split of each image and the task-mix draw. @default 0 */
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    /** @default every task at 1 */
    tasks: TaskMix.default(Object.fromEntries(EXPORT_TASKS.map((t) => [t, 1])) as Record<ExportTask, number>),
    /** Fraction of images per split; an image is in one split whatever the round. @default {train: 0.9, valid: 0.1, test: 0} */
    splits: Splits.default({ train: 0.9, valid: 0.1, test: 0 }),
    /** Rows per Parquet shard (rows embed image bytes, so this bounds memory and file size). @default 1000 */
    rowsPerShard: z.number().int().min(1).max(1_000_000).default(1000),
    /** Captions whose phrases become grounding rows, one row per caption. @default ["brief"] */
    groundingGranularities: z
      .array(z.enum(['brief', 'detailed', 'more_detailed']))
      .min(1)
      .default(['brief']),
    /** `<REGION_TO_DESCRIPTION>` suffix echoes the region's loc tokens, as pretrained Florence-2 does. @default false */
    regionEchoLocs: z.boolean().default(false),
    /**
     * Captions from these sources (default: `human`, the small pre-existing set of paper section 4.2)
     * win over other captions of their image and granularity, and their train-split rows are written
     * `repeat` times, so a few dozen hand-written detailed texts are not drowned by a thousand
     * specialist captions when the model is fine-tuned on them. @default {sources: ["human"], repeat: 1}
     */
    trustedTexts: z
      .object({
        sources: z.array(z.string().min(1)).default(['human']),
        repeat: z.number().int().min(1).max(100).default(1),
      })
      .strict()
      .default({ sources: ['human'], repeat: 1 }),
    /** Emit an `<OCR_WITH_REGION>` row with an empty suffix for an annotated image without text regions. @default true */
    ocrEmptyRows: z.boolean().default(true),
  })
  .strict();
export type ExportConfig = z.infer<typeof ExportConfig>;
