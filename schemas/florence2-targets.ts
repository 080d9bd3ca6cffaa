/**
 * Florence-2 training targets: (prefix, suffix) pairs whose suffix is what the model should generate,
 * with `<loc_N>` tokens from `loc-codec.ts` (docs/florence2-formats.md section 5). The suffix carries no `<s>`/`</s>`.
 *
 * Ordering, so that the same annotations always give the same bytes:
 * - boxes and quads are sorted in reading order of their quantised top-left corner: y bin, then x bin,
 *   then the remaining bins;
 * - OD and dense region captions are grouped by label, groups in label order (UTF-16 code units, no
 *   locale), each label written once and followed by all its boxes (`wheel<4 locs><4 locs>`, the form
 *   pretrained Florence-2 emits; published outputs such as `car, door handle, wheel, wheel` are
 *   label-sorted, their two wheels in y0 order);
 * - grounding phrases in order of their span in the caption (given order when spans tie or are absent);
 * - polygons keep their given order and vertex order.
 * Duplicates are kept: removing them is a filter's decision, not the serialiser's.
 */
import {
  type Box,
  type ImageSize,
  type Polygon,
  type Quad,
  LocCodecError,
  checkImageSize,
  locTokens,
  quantiseBox,
  quantisePolygon,
  quantiseQuad,
} from './loc-codec.ts';
import { buildPrefix } from './florence2-tasks.ts';
import { SPECIAL_TOKENS } from './florence2-tokens.ts';

export interface TargetExample {
  task: string;
  prefix: string;
  suffix: string;
}

const LINE_BREAK = /[\n\r\u2028\u2029]/;
const LOC_LIKE = /<loc_\d+>/;

/**
 * Why a label cannot be written into a box-type target so that parsing gives it back, or null.
 * Box labels are read as "the run of text without `<` before the loc tokens", trimmed.
 */
export function boxLabelProblem(label: string): string | null {
  if (typeof label !== 'string') return 'is not a string';
  if (label.trim() === '') return 'is empty';
  if (label.includes('<')) return "contains '<' (the parser reads a label as text without '<')";
  if (label !== label.trim()) return 'has leading or trailing whitespace (parsers trim it)';
  return null;
}

/** Same for OCR text: may hold `<`, but no line break (parsers keep only the last line) and no tokens. */
export function ocrTextProblem(text: string): string | null {
  if (typeof text !== 'string') return 'is not a string';
  if (text.trim() === '') return 'is empty';
  if (text !== text.trim()) return 'has leading or trailing whitespace (parsers trim it)';
  if (LINE_BREAK.test(text)) return 'contains a line break (parsers keep only the text after it)';
  if (LOC_LIKE.test(text) || SPECIAL_TOKENS.some((t) => text.includes(t))) return 'contains a Florence-2 special token';
  return null;
}

/** Same for plain text targets (captions, OCR, region texts). */
export function plainTextProblem(text: string): string | null {
  if (typeof text !== 'string') return 'is not a string';
  if (text.trim() === '') return 'is empty';
  if (text !== text.trim()) return 'has leading or trailing whitespace (parsers trim it)';
  if (LOC_LIKE.test(text) || SPECIAL_TOKENS.some((t) => text.includes(t))) return 'contains a Florence-2 special token';
  return null;
}

function check(problem: string | null, what: string, value: unknown): void {
  if (problem) throw new LocCodecError(`${what} ${problem} (got ${JSON.stringify(value)})`);
}

function checkBox(box: readonly number[], what: string): void {
  if (box.length !== 4 || !box.every(Number.isFinite))
    throw new LocCodecError(`${what} must be 4 finite numbers (got ${JSON.stringify(box)})`);
  if (box[2] < box[0] || box[3] < box[1])
    throw new LocCodecError(`${what} has x1 < x0 or y1 < y0 (got ${JSON.stringify(box)})`);
}

function cmpBins(a: readonly number[], b: readonly number[]): number {
  // Reading order: y before x for each point.
  for (let i = 0; i < a.length; i += 2) {
    if (a[i + 1] !== b[i + 1]) return a[i + 1] - b[i + 1];
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}

const cmpText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface LabelledBox {
  label: string;
  box: Box;
}

/** `label<4 locs>[<4 locs>...]label2...`, grouped and ordered as the file header says. */
export function labelledBoxesSuffix(items: readonly LabelledBox[], size: ImageSize, what = 'object'): string {
  checkImageSize(size);
  const groups = new Map<string, Box[]>();
  items.forEach((it, i) => {
    check(boxLabelProblem(it.label), `${what} ${i}: label`, it.label);
    checkBox(it.box, `${what} ${i}: box`);
    const bins = quantiseBox(it.box, size);
    const g = groups.get(it.label);
    if (g) g.push(bins);
    else groups.set(it.label, [bins]);
  });
  return [...groups.keys()]
    .sort(cmpText)
    .map((label) => label + groups.get(label)!.sort(cmpBins).map(locTokens).join(''))
    .join('');
}

export function odExample(objects: readonly LabelledBox[], size: ImageSize): TargetExample {
  return { task: '<OD>', prefix: buildPrefix('<OD>'), suffix: labelledBoxesSuffix(objects, size, 'object') };
}

export function denseRegionCaptionExample(regions: readonly LabelledBox[], size: ImageSize): TargetExample {
  return {
    task: '<DENSE_REGION_CAPTION>',
    prefix: buildPrefix('<DENSE_REGION_CAPTION>'),
    suffix: labelledBoxesSuffix(regions, size, 'region'),
  };
}

export function regionProposalExample(boxes: readonly Box[], size: ImageSize): TargetExample {
  checkImageSize(size);
  boxes.forEach((b, i) => checkBox(b, `proposal ${i}: box`));
  const suffix = boxes
    .map((b) => quantiseBox(b, size))
    .sort(cmpBins)
    .map(locTokens)
    .join('');
  return { task: '<REGION_PROPOSAL>', prefix: buildPrefix('<REGION_PROPOSAL>'), suffix };
}

export interface GroundedPhrase {
  phrase: string;
  /** [start, end) in the caption; orders the phrases. */
  span?: [number, number];
  boxes: Box[];
}

/** `<CAPTION_TO_PHRASE_GROUNDING>caption` -> `phrase<4 locs>[<4 locs>...]phrase2...`. */
export function groundingExample(caption: string, phrases: readonly GroundedPhrase[], size: ImageSize): TargetExample {
  checkImageSize(size);
  check(plainTextProblem(caption), 'caption', caption);
  const order = phrases.map((p, i) => ({ p, i }));
  order.sort((a, b) => (a.p.span?.[0] ?? Infinity) - (b.p.span?.[0] ?? Infinity) || a.i - b.i);
  const suffix = order
    .map(({ p, i }) => {
      check(boxLabelProblem(p.phrase), `phrase ${i}`, p.phrase);
      if (p.boxes.length === 0) throw new LocCodecError(`phrase ${i} (${JSON.stringify(p.phrase)}) has no boxes`);
      p.boxes.forEach((b, j) => checkBox(b, `phrase ${i} box ${j}`));
      return (
        p.phrase +
        p.boxes
          .map((b) => quantiseBox(b, size))
          .sort(cmpBins)
          .map(locTokens)
          .join('')
      );
    })
    .join('');
  return {
    task: '<CAPTION_TO_PHRASE_GROUNDING>',
    prefix: buildPrefix('<CAPTION_TO_PHRASE_GROUNDING>', caption),
    suffix,
  };
}

export interface OcrLine {
  text: string;
  quad: Quad;
}

/** `text<8 locs>text2<8 locs>...`, lines in reading order of their quantised first (top-left) point. */
export function ocrWithRegionExample(lines: readonly OcrLine[], size: ImageSize): TargetExample {
  checkImageSize(size);
  const q = lines.map((l, i) => {
    check(ocrTextProblem(l.text), `ocr line ${i}: text`, l.text);
    if (l.quad.length !== 8 || !l.quad.every(Number.isFinite))
      throw new LocCodecError(`ocr line ${i}: quad must be 8 finite numbers (got ${JSON.stringify(l.quad)})`);
    return { text: l.text, bins: quantiseQuad(l.quad, size), i };
  });
  q.sort((a, b) => cmpBins(a.bins, b.bins) || a.i - b.i);
  return {
    task: '<OCR_WITH_REGION>',
    prefix: buildPrefix('<OCR_WITH_REGION>'),
    suffix: q.map((l) => l.text + locTokens(l.bins)).join(''),
  };
}

export const REGION_TASKS = ['<REGION_TO_CATEGORY>', '<REGION_TO_DESCRIPTION>', '<REGION_TO_OCR>'] as const;
export type RegionTask = (typeof REGION_TASKS)[number];

/**
 * `<REGION_TO_X><4 locs>` -> `text<4 locs>`. The suffix echoes the region's loc tokens by default
 * because pretrained Florence-2 does (docs/florence2-formats.md sections 4-5); `echoLocs: false` gives the bare text.
 */
export function regionExample(
  task: RegionTask,
  box: Box,
  text: string,
  size: ImageSize,
  opts: { echoLocs?: boolean } = {},
): TargetExample {
  checkImageSize(size);
  checkBox(box, `${task} region box`);
  check(plainTextProblem(text), `${task} text`, text);
  const locs = locTokens(quantiseBox(box, size));
  return { task, prefix: buildPrefix(task, locs), suffix: opts.echoLocs === false ? text : text + locs };
}

export interface PolygonTarget {
  polygons: Polygon[];
}

/**
 * Polygon suffix: each polygon as `<loc_x><loc_y>...`, polygons of one instance joined by `<sep>`.
 * One instance is written bare (the segmentation tasks' form); several are each wrapped in
 * `<poly>...</poly>` so that the parser can tell them apart. `label` prefixes the text (open-vocabulary
 * detection's `label<poly>...</poly>` form; a labelled instance is always wrapped).
 */
export function polygonsSuffix(instances: readonly PolygonTarget[], size: ImageSize, label?: string): string {
  checkImageSize(size);
  if (label !== undefined) check(boxLabelProblem(label), 'polygon label', label);
  if (instances.length === 0) throw new LocCodecError('polygons: no instance given');
  const parts = instances.map((inst, i) => {
    if (inst.polygons.length === 0) throw new LocCodecError(`polygon instance ${i} has no polygons`);
    return inst.polygons
      .map((p, j) => {
        if (p.length < 6 || p.length % 2 !== 0 || !p.every(Number.isFinite)) {
          throw new LocCodecError(
            `polygon instance ${i} polygon ${j} needs an even count >= 6 of finite numbers (got ${p.length})`,
          );
        }
        return locTokens(quantisePolygon(p, size));
      })
      .join('<sep>');
  });
  const wrap = label !== undefined || parts.length > 1;
  return (label ?? '') + (wrap ? parts.map((p) => `<poly>${p}</poly>`).join('') : parts[0]);
}

/** `<REFERRING_EXPRESSION_SEGMENTATION>expression` or `<REGION_TO_SEGMENTATION><4 locs>` -> polygons. */
export function segmentationExample(
  task: '<REFERRING_EXPRESSION_SEGMENTATION>' | '<REGION_TO_SEGMENTATION>',
  input: string | Box,
  instances: readonly PolygonTarget[],
  size: ImageSize,
): TargetExample {
  checkImageSize(size);
  let inputText: string;
  if (typeof input === 'string') {
    check(plainTextProblem(input), `${task} expression`, input);
    inputText = input;
  } else {
    checkBox(input, `${task} region box`);
    inputText = locTokens(quantiseBox(input, size));
  }
  return { task, prefix: buildPrefix(task, inputText), suffix: polygonsSuffix(instances, size) };
}

export const TEXT_TASKS = ['<CAPTION>', '<DETAILED_CAPTION>', '<MORE_DETAILED_CAPTION>', '<OCR>'] as const;
export type TextTask = (typeof TEXT_TASKS)[number];

export function textExample(task: TextTask, text: string): TargetExample {
  check(plainTextProblem(text), `${task} text`, text);
  return { task, prefix: buildPrefix(task), suffix: text };
}
