/**
 * Parsers of generated Florence-2 text for the box post-processing types (description_with_bboxes,
 * bboxes, phrase_grounding) and ocr. They never throw on model output: what does not parse is counted
 * in `ignored`. The rules, and where they deliberately differ from MSP and transformers.js, are in
 * docs/florence2-parsing.md.
 */
import { type Box, type ImageSize, type Quad, checkImageSize, dequantiseCoord, dequantiseQuad } from './loc-codec.ts';
import { dropNonAscii, labelBeforeRun, lastLine, locRuns, stripSequenceTokens } from './florence2-tokens.ts';
import { GROUNDING_BLACKLIST } from './florence2-grounding-blacklist.ts';

export interface BoxParseOptions {
  /** Keep non-ASCII characters in box labels (MSP drops them; default false, i.e. drop). */
  keepNonAscii?: boolean;
  /** Phrases dropped by phrase_grounding; default MSP's list. */
  blacklist?: ReadonlySet<string>;
}

export interface BoxGroup {
  label: string;
  boxes: Box[];
}

export interface BoxesResult {
  type: 'description_with_bboxes' | 'bboxes' | 'phrase_grounding';
  /** One entry per box; `labels[i]` belongs to `boxes[i]`. */
  boxes: Box[];
  labels: string[];
  /** The boxes as written: a label followed by its boxes (one phrase of grounding output). */
  groups: BoxGroup[];
  /** Malformed fragments skipped: incomplete loc groups, unlabelled boxes, stray trailing text. */
  ignored: number;
  /** phrase_grounding only: phrases dropped by the blacklist, in order. */
  blacklisted: string[];
}

export interface OcrResult {
  type: 'ocr';
  quads: Quad[];
  labels: string[];
  ignored: number;
}

/**
 * Box types. `bboxes` (region proposals) gives every box the label "" whatever text precedes it;
 * the other two need a non-empty label, and phrase_grounding drops blacklisted phrases.
 */
export function parseBoxes(
  text: string,
  type: BoxesResult['type'],
  size: ImageSize,
  opts: BoxParseOptions = {},
): BoxesResult {
  checkImageSize(size);
  const out: BoxesResult = { type, boxes: [], labels: [], groups: [], ignored: 0, blacklisted: [] };
  const blacklist = opts.blacklist ?? GROUNDING_BLACKLIST;
  const { runs, tail } = locRuns(stripSequenceTokens(text));
  for (const run of runs) {
    const n = Math.floor(run.bins.length / 4);
    if (run.bins.length % 4 !== 0) out.ignored++;
    if (n === 0) continue;
    let label = '';
    if (type !== 'bboxes') {
      const raw = labelBeforeRun(run.pre).trim();
      if (type === 'phrase_grounding' && blacklist.has(raw)) {
        out.blacklisted.push(raw);
        continue;
      }
      label = opts.keepNonAscii ? raw : dropNonAscii(raw).trim();
      if (label === '') {
        out.ignored += n;
        continue;
      }
    }
    const boxes: Box[] = [];
    const b = run.bins;
    for (let i = 0; i < 4 * n; i += 4)
      boxes.push([
        dequantiseCoord(b[i], size.width),
        dequantiseCoord(b[i + 1], size.height),
        dequantiseCoord(b[i + 2], size.width),
        dequantiseCoord(b[i + 3], size.height),
      ]);
    out.groups.push({ label, boxes });
    for (const b of boxes) {
      out.boxes.push(b);
      out.labels.push(label);
    }
  }
  if (tail.trim() !== '') out.ignored++;
  return out;
}

/**
 * OCR with regions: each quad is 8 loc tokens and its text is what was written since the previous
 * quad, on the last line, trimmed. A run of fewer than 8 loc tokens is a boundary: the text before it
 * is dropped with it. Quads with no text are dropped. Non-ASCII text is kept (MSP keeps it too).
 */
export function parseOcr(text: string, size: ImageSize): OcrResult {
  checkImageSize(size);
  const out: OcrResult = { type: 'ocr', quads: [], labels: [], ignored: 0 };
  const { runs, tail } = locRuns(stripSequenceTokens(text));
  for (const run of runs) {
    const n = Math.floor(run.bins.length / 8);
    if (run.bins.length % 8 !== 0) out.ignored++;
    if (n === 0) continue;
    const label = lastLine(run.pre).trim();
    if (label === '') out.ignored++;
    else {
      out.quads.push(dequantiseQuad(run.bins.slice(0, 8), size));
      out.labels.push(label);
    }
    // Further quads in the same run have no text of their own.
    out.ignored += n - 1;
  }
  if (tail.trim() !== '') out.ignored++;
  return out;
}
