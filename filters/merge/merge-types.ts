import { createHash } from 'node:crypto';
import type {
  Box,
  Granularity,
  ImageRecord,
  RegionTextRecord,
  TextPhraseRegionRecord,
  TextRecord,
} from '../../schemas/records.ts';
import type { FilterConfig } from '../filter-config.ts';
import type { FilterStats } from '../filter-stats.ts';

/** One image's raw inputs to the merge, its outputs, and the helpers the merge steps share. */
export interface RawText {
  source: string;
  granularity: Granularity;
  text: string;
  score: number | null;
}
export interface RawRegion {
  source: string;
  kind: 'object' | 'text';
  box: readonly number[];
  quad?: readonly number[] | null;
  /** Category (objects) or the text read (OCR). */
  phrase: string;
  /** Region caption, when a region captioner ran on this box. */
  brief?: string | null;
  score: number | null;
  /** Every source behind this item when it stands for several (a refinement round's agreeing pair); default `[source]`. */
  sources?: readonly string[];
}
export interface RawGrounding {
  source: string;
  /** The text grounded, exactly as in `texts` (or the alt-text / a human text). */
  text: string;
  granularity: Granularity;
  phrase: string;
  span?: [number, number] | null;
  boxes: readonly (readonly number[])[];
  score: number | null;
  /** As RawRegion's. */
  sources?: readonly string[];
}

export interface MergeInput {
  image: Pick<ImageRecord, 'image_id' | 'width' | 'height' | 'alt_text' | 'existing_texts' | 'existing_boxes'>;
  round: number;
  texts: readonly RawText[];
  regions: readonly RawRegion[];
  groundings: readonly RawGrounding[];
  /** Words read by OCR in this image, for the text-spotting rule (default: the OCR regions' phrases). */
  ocrWords?: readonly string[];
}

export interface Dropped {
  kind: 'text' | 'region_text' | 'text_phrase_region';
  source: string;
  reason: string;
  detail: string;
}

export interface MergeOutput {
  text: TextRecord[];
  region_text: RegionTextRecord[];
  text_phrase_region: TextPhraseRegionRecord[];
  dropped: Dropped[];
  stats: FilterStats[];
}

/**
 * Text-phrase-region rows as the merge takes them: each with the text it grounds, found by its
 * `text_id` among `texts`; a row whose text row is missing has nothing to ground and is left out.
 */
export function groundingsWithText(
  rows: readonly TextPhraseRegionRecord[],
  texts: ReadonlyMap<string, Pick<TextRecord, 'text'>>,
): RawGrounding[] {
  const out: RawGrounding[] = [];
  for (const g of rows) {
    const t = texts.get(g.text_id);
    if (t)
      out.push({
        source: g.source,
        sources: g.sources,
        text: t.text,
        granularity: g.granularity,
        phrase: g.phrase,
        span: g.span,
        boxes: g.boxes,
        score: g.score,
      });
  }
  return out;
}

/** Rows by their image id, each image's in their order. */
export function groupByImage<T extends { image_id: string }>(rows: readonly T[]): Map<string, T[]> {
  const byImage = new Map<string, T[]>();
  for (const r of rows) {
    const l = byImage.get(r.image_id);
    if (l) l.push(r);
    else byImage.set(r.image_id, [r]);
  }
  return byImage;
}

export const ALT_TEXT_SOURCE = 'alt_text';
export const HUMAN_SOURCE = 'human';

/**
 * Score thresholds by source and class (docs/architecture.md, "Calibration and acceptance gates"):
 * a number (rows scored at least it stay; unscored rows always pass) or `off` (the source's rows of
 * the class are dropped). Without calibration: the configured box threshold, no text threshold.
 */
export interface Thresholds {
  box(source: string, category: string): number | 'off';
  text(source: string, granularity: string): number | 'off';
}

export const configuredThresholds = (config: FilterConfig): Thresholds => ({
  box: () => config.boxes.scoreThreshold,
  text: () => 0,
});
/** Every row passes: for rows that were filtered already (a refinement round's pre-filtered new rows, the previous round's accepted rows). */
export const PASS_ALL: Thresholds = { box: () => 0, text: () => 0 };
export const thresholdValue = (t: number | 'off'): number => (t === 'off' ? Infinity : t);
/** Whether a text passes its source's threshold (an unscored text passes unless the source is off), with the floor for the drop reason. */
export function textPasses(t: RawText, thresholds: Thresholds): { pass: boolean; floor: number } {
  const floor = thresholdValue(thresholds.text(t.source, t.granularity));
  return { pass: t.score === null ? floor !== Infinity : t.score >= floor, floor };
}

/** What every merge step reads and appends to. */
export interface MergeContext {
  id: string;
  round: number;
  thresholds: Thresholds;
  /** Image size; MAX_VALUE when unknown (bounds not checked, the other geometry rules are). */
  size: { width: number; height: number };
  config: FilterConfig;
  dropped: Dropped[];
}

export const shortHash = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 12);
export const normalise = (t: string) => t.trim().replace(/\s+/g, ' ');
/** Identity of a text within an image: granularity + whitespace-normalised text. */
export const textKey = (granularity: string, text: string) => `${granularity}\u0000${normalise(text)}`;
export const box4 = (b: ArrayLike<number>, i = 0): Box => [b[i * 4], b[i * 4 + 1], b[i * 4 + 2], b[i * 4 + 3]];
export const isBox = (b: unknown): b is readonly number[] =>
  Array.isArray(b) && b.length === 4 && b.every((v) => typeof v === 'number');
