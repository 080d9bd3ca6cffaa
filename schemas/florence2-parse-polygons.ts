/**
 * Parsers of generated Florence-2 text for polygons (both segmentation tasks) and
 * description_with_bboxes_or_polygons (open-vocabulary detection). transformers.js does not implement
 * these; the rules follow MSP's `parse_description_with_polygons_from_text_and_spans`, with the
 * differences listed in docs/florence2-parsing.md. Never throws on model output.
 */
import { type Box, type ImageSize, type Polygon, checkImageSize, dequantisePolygon } from './loc-codec.ts';
import { dropNonAscii, labelBeforeRun, stripSequenceTokens } from './florence2-tokens.ts';
import { type BoxParseOptions, parseBoxes } from './florence2-parse-boxes.ts';

export interface PolygonInstance {
  label: string;
  polygons: Polygon[];
}

export interface PolygonsResult {
  type: 'polygons';
  instances: PolygonInstance[];
  ignored: number;
}

export interface BoxesOrPolygonsResult {
  type: 'description_with_bboxes_or_polygons';
  boxes: Box[];
  boxLabels: string[];
  instances: PolygonInstance[];
  ignored: number;
}

type GeoToken = { k: 'loc'; bin: number } | { k: 'sep' } | { k: 'open' } | { k: 'close' };

interface GeoRun {
  pre: string;
  tokens: GeoToken[];
}

const GEO_RE = /<loc_(\d+)>|<sep>|<poly>|<\/poly>/g;

function geoRuns(text: string): { runs: GeoRun[]; tail: string } {
  const runs: GeoRun[] = [];
  let last = 0;
  let cur: GeoRun | null = null;
  for (const m of text.matchAll(GEO_RE)) {
    const at = m.index!;
    const t: GeoToken =
      m[1] !== undefined
        ? { k: 'loc', bin: Number(m[1]) }
        : m[0] === '<sep>'
          ? { k: 'sep' }
          : m[0] === '<poly>'
            ? { k: 'open' }
            : { k: 'close' };
    if (cur && at === last) cur.tokens.push(t);
    else {
      cur = { pre: text.slice(last, at), tokens: [t] };
      runs.push(cur);
    }
    last = at + m[0].length;
  }
  return { runs, tail: text.slice(last) };
}

/**
 * Split a run into instances: each `<poly>...</poly>` block is one (an unclosed block at the end of
 * the run too, so a truncated generation keeps what it has); a run without `<poly>` is one instance.
 * Inside an instance, `<sep>` separates polygons.
 */
function instancesOf(tokens: GeoToken[], size: ImageSize, counter: { ignored: number }): Polygon[][] {
  const blocks: GeoToken[][] = [];
  if (!tokens.some((t) => t.k === 'open')) blocks.push(tokens);
  else {
    let open: GeoToken[] | null = null;
    for (const t of tokens) {
      if (t.k === 'open') {
        if (open) blocks.push(open);
        open = [];
      } else if (t.k === 'close') {
        if (open) blocks.push(open);
        else counter.ignored++;
        open = null;
      } else if (open) open.push(t);
      else if (t.k === 'loc') counter.ignored++; // coordinates outside any <poly> block
    }
    if (open) blocks.push(open);
  }
  const out: Polygon[][] = [];
  for (const block of blocks) {
    const polys: Polygon[] = [];
    let bins: number[] = [];
    const flush = () => {
      if (bins.length % 2 === 1) {
        counter.ignored++; // a trailing unpaired coordinate, dropped as MSP drops it
        bins = bins.slice(0, -1);
      }
      if (bins.length >= 6) polys.push(dequantisePolygon(bins, size));
      else if (bins.length > 0) counter.ignored++; // fewer than 3 points has no area
      bins = [];
    };
    for (const t of block) {
      if (t.k === 'loc') bins.push(t.bin);
      else if (t.k === 'sep') flush();
    }
    flush();
    if (polys.length > 0) out.push(polys);
  }
  return out;
}

/**
 * `labelled`: take each instance's label from the text before it (open-vocabulary detection) and drop
 * unlabelled ones; otherwise labels are "" (the segmentation tasks, MSP's allow_empty_phrase).
 */
function parsePolygonInstances(
  text: string,
  size: ImageSize,
  labelled: boolean,
  opts: BoxParseOptions,
): { instances: PolygonInstance[]; ignored: number } {
  const counter = { ignored: 0 };
  const instances: PolygonInstance[] = [];
  const { runs, tail } = geoRuns(stripSequenceTokens(text));
  for (const run of runs) {
    const found = instancesOf(run.tokens, size, counter);
    let label = '';
    if (labelled) {
      const raw = labelBeforeRun(run.pre).trim();
      label = opts.keepNonAscii ? raw : dropNonAscii(raw).trim();
      if (label === '') {
        counter.ignored += found.length;
        continue;
      }
    }
    for (const polygons of found) instances.push({ label, polygons });
  }
  if (tail.trim() !== '') counter.ignored++;
  return { instances, ignored: counter.ignored };
}

export function parsePolygons(text: string, size: ImageSize): PolygonsResult {
  checkImageSize(size);
  const { instances, ignored } = parsePolygonInstances(text, size, false, {});
  return { type: 'polygons', instances, ignored };
}

/** Polygons when the text holds `<poly>`, otherwise boxes (MSP: one or the other, never both). */
export function parseBoxesOrPolygons(text: string, size: ImageSize, opts: BoxParseOptions = {}): BoxesOrPolygonsResult {
  checkImageSize(size);
  if (stripSequenceTokens(text).includes('<poly>')) {
    const { instances, ignored } = parsePolygonInstances(text, size, true, opts);
    return { type: 'description_with_bboxes_or_polygons', boxes: [], boxLabels: [], instances, ignored };
  }
  const b = parseBoxes(text, 'description_with_bboxes', size, opts);
  return {
    type: 'description_with_bboxes_or_polygons',
    boxes: b.boxes,
    boxLabels: b.labels,
    instances: [],
    ignored: b.ignored,
  };
}
