import { z } from 'zod';

/**
 * The annotation records of docs/architecture.md, "The data path". Coordinates are absolute pixels of the original
 * image, floats. Every annotation row carries provenance: `source` (the specialist or model that
 * produced it, name@version), `score` (null when the source gives none) and `sources` (every
 * source that contributed before merging or fusion).
 */

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
export const Box = z.tuple([finite, finite, finite, finite]);
export type Box = z.infer<typeof Box>;
export const Quad = z.tuple([finite, finite, finite, finite, finite, finite, finite, finite]);
export type Quad = z.infer<typeof Quad>;

export const Granularity = z.enum(['brief', 'detailed', 'more_detailed']);
export type Granularity = z.infer<typeof Granularity>;

const id = z.string().min(1);
const round = z.number().int().min(0);
const score = finite.nullable();

export const ExistingBox = z.object({ box: Box, category: z.string() });
export const ExistingText = z.object({ granularity: Granularity, text: z.string() });

export const ImageRecord = z.object({
  image_id: id,
  uri: z.string().min(1),
  width: z.number().int().positive().nullable(),
  height: z.number().int().positive().nullable(),
  collection: id,
  shard: z.number().int().min(0),
  /** Alt-text or any caption the collection came with. */
  alt_text: z.string().nullable(),
  /** Pre-existing human texts (e.g. a small set of detailed captions), kept apart from alt-text. */
  existing_texts: z.array(ExistingText),
  /** Pre-existing human boxes with categories (COCO, Object365-style). */
  existing_boxes: z.array(ExistingBox),
  error: z.string().nullable(),
});
export type ImageRecord = z.infer<typeof ImageRecord>;

export const TextRecord = z.object({
  image_id: id,
  round,
  text_id: id,
  granularity: Granularity,
  text: z.string(),
  source: id,
  score,
  sources: z.array(z.string()),
  objects: z.number().int().min(0),
  attributes: z.number().int().min(0),
  actions: z.number().int().min(0),
  proper_nouns: z.number().int().min(0),
  object_complexity: finite,
  action_complexity: finite,
});
export type TextRecord = z.infer<typeof TextRecord>;

export const RegionKind = z.enum(['object', 'text']);
export const RegionTextRecord = z.object({
  image_id: id,
  round,
  region_id: id,
  kind: RegionKind,
  box: Box,
  /** OCR quad, 8 numbers clockwise from top-left; null for object regions. */
  quad: Quad.nullable(),
  /** Category phrase for objects, the read text for OCR regions. */
  phrase: z.string(),
  /** Brief region caption (REGION_TO_DESCRIPTION), null until a region captioner ran. */
  brief: z.string().nullable(),
  noun_chunks: z.array(z.string()),
  source: id,
  score,
  sources: z.array(z.string()),
});
export type RegionTextRecord = z.infer<typeof RegionTextRecord>;

export const Span = z
  .tuple([z.number().int().min(0), z.number().int().min(0)])
  .refine(([a, b]) => b > a, 'span end must be after its start');
export const TextPhraseRegionRecord = z.object({
  image_id: id,
  round,
  text_id: id,
  granularity: Granularity,
  phrase: z.string().min(1),
  /** [start, end) character offsets of the phrase in the text. */
  span: Span,
  boxes: z.array(Box).min(1),
  source: id,
  score,
  sources: z.array(z.string()),
});
export type TextPhraseRegionRecord = z.infer<typeof TextPhraseRegionRecord>;

export const ErrorRecord = z.object({
  image_id: z.string(),
  shard: z.number().int().min(0),
  stage: z.string().min(1),
  message: z.string().min(1),
});
export type ErrorRecord = z.infer<typeof ErrorRecord>;

/** The three annotation kinds plus errors: the files of a round (docs/architecture.md, "A round and its files"). */
export const ANNOTATION_KINDS = ['text', 'region_text', 'text_phrase_region'] as const;
export type AnnotationKind = (typeof ANNOTATION_KINDS)[number];
export const ROUND_KINDS = [...ANNOTATION_KINDS, 'errors'] as const;
export type RoundKind = (typeof ROUND_KINDS)[number];

export const RECORD_SCHEMAS = {
  image: ImageRecord,
  text: TextRecord,
  region_text: RegionTextRecord,
  text_phrase_region: TextPhraseRegionRecord,
  errors: ErrorRecord,
} as const;
export type RecordKind = keyof typeof RECORD_SCHEMAS;
export type RecordOf<K extends RecordKind> = z.infer<(typeof RECORD_SCHEMAS)[K]>;
