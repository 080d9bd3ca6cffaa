import { minAreaRect, orderClockwise, rectCorners, type Pt, type RotatedRect } from './quad-geometry.ts';

/** PaddleOCR DB post-processing settings; defaults are PaddleOCR's (`det_db_*`). */
export interface DbOptions {
  /** Probability above which a pixel is text (`det_db_thresh`, 0.3). */
  thresh?: number;
  /** Mean probability inside a box for it to be kept (`det_db_box_thresh`, 0.6). */
  boxThresh?: number;
  /** How far a box is grown, as area * ratio / perimeter (PaddleOCR's `det_db_unclip_ratio` is 1.5; ours 2.6, see DEFAULT_UNCLIP_RATIO). */
  unclipRatio?: number;
  /** At most this many regions per image (`max_candidates`, 1000). */
  maxCandidates?: number;
  /**
   * Unclip ratio of the reported quad (default FIT_UNCLIP_RATIO). The probability map marks a shrunk
   * core of each line, so the core's own rectangle is smaller than the ink and the crop's rectangle
   * (unclipRatio) is much larger; this one is grown just enough to fit the ink.
   */
  fitRatio?: number;
}

export interface TextQuad {
  /** Corners clockwise from top-left, in original-image pixels: the box reported, fitted to the ink. */
  quad: [Pt, Pt, Pt, Pt];
  /** The same line grown by `unclipRatio`: the crop given to recognition (a margin keeps the spaces). */
  crop: [Pt, Pt, Pt, Pt];
  /** Mean text probability inside the (un-grown) box. */
  score: number;
}

const MIN_SIZE = 3;

/**
 * PaddleOCR's 1.5 crops lines so tightly that PP-OCRv4 drops the spaces between words; on 60
 * rendered multi-word images character error rate went 0.038 (1.5) -> 0.013 (2.0) -> 0.004 (2.6)
 * -> 0.004 (3.0, with stray punctuation from the wider margin). See docs/decisions.md.
 */
export const DEFAULT_UNCLIP_RATIO = 2.6;

/**
 * Reported quads: on 40 demo-world images (52 words, 14-25 px) mean best IoU with the true word boxes
 * was 0.51 (core, 0), 0.76 (1.0), 0.71 (1.2), 0.63 (1.5), 0.41 (2.6, the crop); 1.0 cuts 3 px off the
 * ink of 30-60 px text, 1.2 keeps it within a tenth of the height. See docs/decisions.md.
 */
export const FIT_UNCLIP_RATIO = 1.2;

/**
 * Text boxes from one image's probability map: threshold, 8-connected regions, minimum-area
 * rectangle of each region's boundary pixels, box score, unclip (grow each side by
 * area * ratio / perimeter, which is what a rounded polygon offset followed by minAreaRect gives
 * for a rectangle) twice, once to fit the ink (`quad`) and once with a margin for recognition
 * (`crop`), scale to the original image, clockwise corners, reading order.
 *
 * `map` is `mapW` wide; only the top-left `w` x `h` is this image (the rest is batch padding).
 */
export function dbBoxes(
  map: Float32Array,
  mapW: number,
  w: number,
  h: number,
  origW: number,
  origH: number,
  opts: DbOptions = {},
): TextQuad[] {
  const thresh = opts.thresh ?? 0.3;
  const boxThresh = opts.boxThresh ?? 0.6;
  const unclipRatio = opts.unclipRatio ?? DEFAULT_UNCLIP_RATIO;
  const maxCandidates = opts.maxCandidates ?? 1000;
  const fitRatio = opts.fitRatio ?? FIT_UNCLIP_RATIO;
  const label = new Int32Array(w * h);
  const on = (x: number, y: number) => map[y * mapW + x] > thresh;
  const stack = new Int32Array(w * h);
  const out: TextQuad[] = [];
  let next = 0;
  for (let y0 = 0; y0 < h && out.length < maxCandidates; y0++) {
    for (let x0 = 0; x0 < w && out.length < maxCandidates; x0++) {
      if (label[y0 * w + x0] || !on(x0, y0)) continue;
      const id = ++next;
      const boundary: Pt[] = [];
      let sp = 0;
      stack[sp++] = y0 * w + x0;
      label[y0 * w + x0] = id;
      while (sp) {
        const i = stack[--sp];
        const x = i % w,
          y = (i - x) / w;
        let edge = false;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            if (!dx && !dy) continue;
            const nx = x + dx,
              ny = y + dy;
            if (nx < 0 || ny < 0 || nx >= w || ny >= h || !on(nx, ny)) {
              if (dx === 0 || dy === 0) edge = true;
              continue;
            }
            const j = ny * w + nx;
            if (!label[j]) {
              label[j] = id;
              stack[sp++] = j;
            }
          }
        }
        if (edge) boundary.push([x, y]);
      }
      const r = minAreaRect(boundary);
      if (Math.min(r.w, r.h) < MIN_SIZE) continue;
      const corners = rectCorners(r);
      const score = boxScore(map, mapW, w, h, corners);
      if (score < boxThresh) continue;
      const grownBy = (ratio: number) => {
        const d = (r.w * r.h * ratio) / (2 * (r.w + r.h));
        return { ...r, w: r.w + 2 * d, h: r.h + 2 * d };
      };
      const grown = grownBy(unclipRatio);
      if (Math.min(grown.w, grown.h) < MIN_SIZE + 2) continue;
      const sx = origW / w,
        sy = origH / h;
      const toImage = (g: RotatedRect) =>
        orderClockwise(
          rectCorners(g).map(([x, y]) => [clip(Math.round(x * sx), origW), clip(Math.round(y * sy), origH)] as Pt),
        );
      const crop = toImage(grown);
      if (
        Math.hypot(crop[0][0] - crop[1][0], crop[0][1] - crop[1][1]) <= 3 ||
        Math.hypot(crop[0][0] - crop[3][0], crop[0][1] - crop[3][1]) <= 3
      )
        continue;
      out.push({ quad: toImage(grownBy(fitRatio)), crop, score });
    }
  }
  return readingOrder(out);
}

const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);

/** Mean probability of the pixels whose centre lies inside the quad (PaddleOCR's `box_score_fast`). */
function boxScore(map: Float32Array, mapW: number, w: number, h: number, q: Pt[]): number {
  const xs = q.map((p) => p[0]),
    ys = q.map((p) => p[1]);
  const x0 = clip(Math.floor(Math.min(...xs)), w - 1),
    x1 = clip(Math.ceil(Math.max(...xs)), w - 1);
  const y0 = clip(Math.floor(Math.min(...ys)), h - 1),
    y1 = clip(Math.ceil(Math.max(...ys)), h - 1);
  let sum = 0,
    n = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (!inside(q, x, y)) continue;
      sum += map[y * mapW + x];
      n++;
    }
  }
  return n ? sum / n : 0;
}

/** Inside or on a convex quad given in order (either orientation). */
function inside(q: Pt[], x: number, y: number): boolean {
  let pos = false,
    neg = false;
  for (let i = 0; i < 4; i++) {
    const a = q[i],
      b = q[(i + 1) % 4];
    const c = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
    if (c > 1e-9) pos = true;
    else if (c < -1e-9) neg = true;
    if (pos && neg) return false;
  }
  return true;
}

/** Top to bottom, then left to right within a line (10 px tolerance), as PaddleOCR's `sorted_boxes`. */
function readingOrder(boxes: TextQuad[]): TextQuad[] {
  const b = boxes.slice().sort((p, q) => p.quad[0][1] - q.quad[0][1] || p.quad[0][0] - q.quad[0][0]);
  for (let i = 0; i < b.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      if (Math.abs(b[j + 1].quad[0][1] - b[j].quad[0][1]) < 10 && b[j + 1].quad[0][0] < b[j].quad[0][0]) {
        [b[j], b[j + 1]] = [b[j + 1], b[j]];
      } else break;
    }
  }
  return b;
}
