/**
 * One entry point from generated Florence-2 text to structures, by post-processing type or by task.
 * Never throws on model output (a bad image size is the caller's bug and does throw).
 */
import { type Box, type ImageSize, checkImageSize, dequantiseBox } from './loc-codec.ts';
import { type PostProcessingType, type TaskTable, DEFAULT_TASKS, postProcessingOf } from './florence2-tasks.ts';
import { locRuns, stripSequenceTokens } from './florence2-tokens.ts';
import {
  type BoxParseOptions,
  type BoxesResult,
  type OcrResult,
  parseBoxes,
  parseOcr,
} from './florence2-parse-boxes.ts';
import {
  type BoxesOrPolygonsResult,
  type PolygonsResult,
  parseBoxesOrPolygons,
  parsePolygons,
} from './florence2-parse-polygons.ts';

export interface PureTextResult {
  type: 'pure_text';
  text: string;
  ignored: number;
}

export type ParseResult = PureTextResult | BoxesResult | OcrResult | PolygonsResult | BoxesOrPolygonsResult;

/** `<s>`, `</s>` and `<pad>` removed, then trimmed (HFN trims; MSP and TJS do not). */
export function parsePureText(text: string): PureTextResult {
  return { type: 'pure_text', text: stripSequenceTokens(text).trim(), ignored: 0 };
}

export function parseGeneration(
  text: string,
  type: PostProcessingType,
  size: ImageSize,
  opts: BoxParseOptions = {},
): ParseResult {
  switch (type) {
    case 'pure_text':
      return parsePureText(text);
    case 'description_with_bboxes':
    case 'bboxes':
    case 'phrase_grounding':
      return parseBoxes(text, type, size, opts);
    case 'ocr':
      return parseOcr(text, size);
    case 'polygons':
      return parsePolygons(text, size);
    case 'description_with_bboxes_or_polygons':
      return parseBoxesOrPolygons(text, size, opts);
  }
}

/** Parse by task token; unknown tasks are pure text, as in every reference. */
export function parseTaskOutput(
  text: string,
  task: string,
  size: ImageSize,
  opts: BoxParseOptions & { tasks?: TaskTable } = {},
): ParseResult {
  return parseGeneration(text, postProcessingOf(task, opts.tasks ?? DEFAULT_TASKS), size, opts);
}

/**
 * Region tasks answer in pure text and pretrained Florence-2 echoes the region's loc tokens after it
 * (`car<loc_52>...<loc_774>`). This splits the text from a trailing group of 4 loc tokens; `box` is null
 * when there is none. Loc tokens elsewhere are removed from the text and counted.
 */
export function parseRegionText(text: string, size: ImageSize): { text: string; box: Box | null; ignored: number } {
  checkImageSize(size);
  const { runs, tail } = locRuns(stripSequenceTokens(text));
  let ignored = 0;
  let box: Box | null = null;
  let body = '';
  runs.forEach((run, i) => {
    body += run.pre;
    const isLast = i === runs.length - 1 && tail.trim() === '';
    if (isLast && run.bins.length === 4) box = dequantiseBox(run.bins, size);
    else ignored++;
  });
  return { text: (body + tail).trim(), box, ignored };
}
