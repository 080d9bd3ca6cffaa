import type { Box, Granularity, RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../schemas/records.ts';

/** A caption given with an image, for a specialist that reads another's text (grounding). */
export interface CaptionInput {
  text_id: string;
  granularity: Granularity;
  text: string;
}

/** A region given with an image, for a specialist that reads another's boxes (the region captioner), in original pixels. */
export interface RegionInput {
  region_id: string;
  box: Box;
  phrase?: string;
}

/**
 * One image handed to an adapter: its id and its undecoded bytes (jobs carry pointers; the worker
 * fetched these), plus, for specialists fed by another stage's output, that output for this image.
 * Adapters that take no inputs ignore them.
 */
export interface ImageInput {
  image_id: string;
  bytes: Uint8Array;
  /** Captions to ground. */
  captions?: CaptionInput[];
  /** Regions to describe. */
  regions?: RegionInput[];
}

/** A per-image failure; the pipeline adds the shard when it writes the errors file. */
export interface AdapterError {
  image_id: string;
  stage: string;
  message: string;
}

/** Size of each decoded image, after EXIF orientation, so the pipeline can fill image records. */
export interface ImageSize {
  image_id: string;
  width: number;
  height: number;
}

export interface AdapterResult {
  text: TextRecord[];
  region_text: RegionTextRecord[];
  text_phrase_region: TextPhraseRegionRecord[];
  errors: AdapterError[];
  sizes: ImageSize[];
}

export type SpecialistKind = 'detector' | 'ocr' | 'florence2';

/**
 * A specialist: loads its model in `setup()`, annotates a batch, frees the model in `teardown()`.
 * `annotate` never rejects because of one image: a broken image becomes an error row naming it and
 * the reason, and the rest of the batch is annotated. It rejects only when the model itself fails.
 */
export interface SpecialistAdapter {
  readonly name: string;
  readonly version: string;
  readonly kind: SpecialistKind;
  setup(): Promise<void>;
  annotate(batch: ImageInput[]): Promise<AdapterResult>;
  teardown(): Promise<void>;
}

export function emptyResult(): AdapterResult {
  return { text: [], region_text: [], text_phrase_region: [], errors: [], sizes: [] };
}

/** `name@version`, the `source` of every row an adapter writes. */
export function sourceOf(a: { name: string; version: string }): string {
  return `${a.name}@${a.version}`;
}
