/**
 * Generated Florence-2 text -> raw rows of schemas/records.ts, in original-image pixels. Parse figures
 * of text rows are zeros here: the text filters fill them.
 */
import { parseTaskOutput, parseRegionText } from '../../schemas/florence2-parse.ts';
import type { BoxesResult, OcrResult } from '../../schemas/florence2-parse-boxes.ts';
import type { TaskTable } from '../../schemas/florence2-tasks.ts';
import type { ImageSize, Quad } from '../../schemas/loc-codec.ts';
import type { CaptionInput, RegionInput } from '../adapter.ts';
import type { Granularity, RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import { cleanCaptionText } from './caption-text.ts';
import { matchScores, outputConfidence, scoredGroups } from './scores.ts';
import type { Generated } from './search.ts';

export const CAPTION_TASKS: Readonly<Record<string, Granularity>> = {
  '<CAPTION>': 'brief',
  '<DETAILED_CAPTION>': 'detailed',
  '<MORE_DETAILED_CAPTION>': 'more_detailed',
};

/** The tasks this adapter turns into rows. */
export const SUPPORTED_TASKS = [
  ...Object.keys(CAPTION_TASKS),
  '<OD>',
  '<DENSE_REGION_CAPTION>',
  '<OCR_WITH_REGION>',
  '<CAPTION_TO_PHRASE_GROUNDING>',
  '<REGION_TO_DESCRIPTION>',
] as const;

export interface RowContext {
  image_id: string;
  size: ImageSize;
  round: number;
  source: string;
  tasks: TaskTable;
  tokenOf: (id: number) => string | undefined;
}

export type { CaptionInput, RegionInput } from '../adapter.ts';

const base = (c: RowContext) => ({ image_id: c.image_id, round: c.round, source: c.source, sources: [c.source] });

export function captionRow(c: RowContext, task: string, g: Generated & { text: string }): TextRecord {
  const granularity = CAPTION_TASKS[task];
  const parsed = parseTaskOutput(g.text, task, c.size, { tasks: c.tasks });
  const text = parsed.type === 'pure_text' ? cleanCaptionText(parsed.text) : '';
  return {
    ...base(c),
    text_id: `${c.image_id}:${c.source}:${granularity}`,
    granularity,
    text,
    score: outputConfidence(g),
    objects: 0,
    attributes: 0,
    actions: 0,
    proper_nouns: 0,
    object_complexity: 0,
    action_complexity: 0,
  };
}

/** `<OD>` (category phrases) and `<DENSE_REGION_CAPTION>` (the label is a brief region caption: phrase and brief). */
export function boxRows(c: RowContext, task: string, g: Generated & { text: string }): RegionTextRecord[] {
  const parsed = parseTaskOutput(g.text, task, c.size, { tasks: c.tasks }) as BoxesResult;
  const scores = matchScores(parsed.boxes, scoredGroups(g, c.tokenOf, 4, c.size));
  const tag = task === '<OD>' ? 'od' : 'dense';
  return parsed.boxes.map((box, i) => ({
    ...base(c),
    region_id: `${c.image_id}:${c.source}:${tag}:${i}`,
    kind: 'object',
    box,
    quad: null,
    phrase: parsed.labels[i],
    brief: task === '<OD>' ? null : parsed.labels[i],
    noun_chunks: [],
    score: scores[i],
  }));
}

export function ocrRows(c: RowContext, task: string, g: Generated & { text: string }): RegionTextRecord[] {
  const parsed = parseTaskOutput(g.text, task, c.size, { tasks: c.tasks }) as OcrResult;
  const scores = matchScores(parsed.quads, scoredGroups(g, c.tokenOf, 8, c.size));
  return parsed.quads.map((quad: Quad, i) => {
    const xs = [quad[0], quad[2], quad[4], quad[6]],
      ys = [quad[1], quad[3], quad[5], quad[7]];
    return {
      ...base(c),
      region_id: `${c.image_id}:${c.source}:ocr:${i}`,
      kind: 'text',
      box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
      quad,
      phrase: parsed.labels[i],
      brief: null,
      noun_chunks: [],
      score: scores[i],
    };
  });
}

/** Where `phrase` sits in `text`: after `from` first, then anywhere, then case-insensitively; null if absent. */
export function findSpan(text: string, phrase: string, from: number): [number, number] | null {
  let at = text.indexOf(phrase, from);
  if (at < 0) at = text.indexOf(phrase);
  if (at < 0) {
    const lower = text.toLowerCase(),
      p = phrase.toLowerCase();
    at = lower.indexOf(p, from);
    if (at < 0) at = lower.indexOf(p);
  }
  return at < 0 ? null : [at, at + phrase.length];
}

/**
 * `<CAPTION_TO_PHRASE_GROUNDING>`: one row per grounded phrase with its span in the input caption.
 * A phrase the model wrote that is not in the caption has no span and gives no row.
 */
export function groundingRows(
  c: RowContext,
  task: string,
  caption: CaptionInput,
  g: Generated & { text: string },
): TextPhraseRegionRecord[] {
  const parsed = parseTaskOutput(g.text, task, c.size, { tasks: c.tasks }) as BoxesResult;
  const boxScores = matchScores(parsed.boxes, scoredGroups(g, c.tokenOf, 4, c.size));
  const rows: TextPhraseRegionRecord[] = [];
  let from = 0;
  let boxIndex = 0;
  for (const grp of parsed.groups) {
    const scores = boxScores.slice(boxIndex, boxIndex + grp.boxes.length);
    boxIndex += grp.boxes.length;
    const span = findSpan(caption.text, grp.label, from);
    if (!span) continue;
    from = span[1];
    const known = scores.filter((x): x is number => x !== null);
    rows.push({
      ...base(c),
      text_id: caption.text_id,
      granularity: caption.granularity,
      phrase: caption.text.slice(span[0], span[1]),
      span,
      boxes: grp.boxes,
      score: known.length ? known.reduce((a, b) => a + b, 0) / known.length : null,
    });
  }
  return rows;
}

/** `<REGION_TO_DESCRIPTION>`: the region's brief text on the input region's row id; echoed loc and special tokens are dropped. */
export function regionBriefRow(c: RowContext, region: RegionInput, g: Generated & { text: string }): RegionTextRecord {
  const { text } = parseRegionText(g.text, c.size);
  return {
    ...base(c),
    region_id: region.region_id,
    kind: 'object',
    box: region.box,
    quad: null,
    phrase: region.phrase ?? '',
    brief: cleanCaptionText(text),
    noun_chunks: [],
    score: outputConfidence(g),
  };
}
