import type { BoxRulesConfig } from '../filter-config.ts';
import { newStats, countKept, countDropped, countChanged, type FilterStats } from '../filter-stats.ts';
import { count, take, type BoxArrays } from './arrays.ts';

/**
 * Geometry validation: every box must be finite, have x1 >= x0 and y1 >= y0, overlap the image, and
 * keep sides of at least `minSide` pixels after clipping. A box partly outside the image is clipped
 * (counted) or dropped, per `outOfImage`. Each dropped or changed box is reported by index.
 */
export type BoxProblemReason =
  | 'not_finite'
  | 'score_not_finite'
  | 'negative_size'
  | 'outside_image'
  | 'out_of_image'
  | 'too_small';

export interface BoxProblem {
  index: number;
  reason: BoxProblemReason;
  action: 'dropped' | 'clipped';
  detail: string;
}

export interface GeometryResult {
  /** Indexes (into the input) of the boxes kept, in input order. */
  kept: Int32Array;
  /** The kept boxes, clipped where needed. */
  boxes: BoxArrays;
  problems: BoxProblem[];
  stats: FilterStats;
}

const show = (b: ArrayLike<number>, i: number) => `[${b[i * 4]}, ${b[i * 4 + 1]}, ${b[i * 4 + 2]}, ${b[i * 4 + 3]}]`;

export function validateGeometry(
  input: BoxArrays,
  image: { width: number; height: number },
  config: Pick<BoxRulesConfig, 'outOfImage' | 'minSide'>,
): GeometryResult {
  const { width, height } = image;
  if (!(width > 0 && height > 0 && Number.isFinite(width) && Number.isFinite(height))) {
    throw new Error(`validateGeometry: image size must be positive and finite, got ${width}x${height}`);
  }
  const n = count(input);
  if (input.xyxy.length !== n * 4 || input.labels.length !== n)
    throw new Error(
      `validateGeometry: ${input.xyxy.length} coordinates and ${input.labels.length} labels for ${n} scores`,
    );
  const stats = newStats('box_geometry');
  const problems: BoxProblem[] = [];
  const kept: number[] = [];
  const b = input.xyxy;
  const out = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) {
    const x0 = b[i * 4],
      y0 = b[i * 4 + 1],
      x1 = b[i * 4 + 2],
      y1 = b[i * 4 + 3];
    const bad = (reason: BoxProblemReason, detail: string) => {
      problems.push({ index: i, reason, action: 'dropped', detail });
      countDropped(stats, reason);
    };
    if (!(Number.isFinite(x0) && Number.isFinite(y0) && Number.isFinite(x1) && Number.isFinite(y1))) {
      bad('not_finite', `box ${i} ${show(b, i)} has a NaN or infinite coordinate`);
      continue;
    }
    if (!Number.isFinite(input.scores[i])) {
      bad('score_not_finite', `box ${i} has score ${input.scores[i]}`);
      continue;
    }
    if (x1 < x0 || y1 < y0) {
      bad('negative_size', `box ${i} ${show(b, i)} has x1 < x0 or y1 < y0`);
      continue;
    }
    if (x1 <= 0 || y1 <= 0 || x0 >= width || y0 >= height) {
      bad('outside_image', `box ${i} ${show(b, i)} lies outside the ${width}x${height} image`);
      continue;
    }
    let cx0 = x0,
      cy0 = y0,
      cx1 = x1,
      cy1 = y1;
    const partly = x0 < 0 || y0 < 0 || x1 > width || y1 > height;
    if (partly) {
      if (config.outOfImage === 'drop') {
        bad('out_of_image', `box ${i} ${show(b, i)} crosses the border of the ${width}x${height} image`);
        continue;
      }
      cx0 = Math.max(0, x0);
      cy0 = Math.max(0, y0);
      cx1 = Math.min(width, x1);
      cy1 = Math.min(height, y1);
    }
    if (cx1 - cx0 < config.minSide || cy1 - cy0 < config.minSide) {
      bad(
        'too_small',
        `box ${i} ${show(b, i)} has a side under ${config.minSide} px${partly ? ' after clipping' : ''}`,
      );
      continue;
    }
    if (partly) {
      problems.push({
        index: i,
        reason: 'out_of_image',
        action: 'clipped',
        detail: `box ${i} ${show(b, i)} clipped to [${cx0}, ${cy0}, ${cx1}, ${cy1}]`,
      });
      countChanged(stats, 'clipped');
    }
    out[kept.length * 4] = cx0;
    out[kept.length * 4 + 1] = cy0;
    out[kept.length * 4 + 2] = cx1;
    out[kept.length * 4 + 3] = cy1;
    kept.push(i);
    countKept(stats);
  }
  const keptArr = Int32Array.from(kept);
  const picked = take(input, keptArr);
  return {
    kept: keptArr,
    boxes: { xyxy: out.slice(0, kept.length * 4), scores: picked.scores, labels: picked.labels },
    problems,
    stats,
  };
}

/**
 * Score threshold: indexes of boxes scored at least `threshold`, and the stats. `threshold` is one
 * number for every box or one per box (calibrated per source and category; Infinity drops the box).
 */
export function scoreThreshold(
  input: BoxArrays,
  threshold: number | ArrayLike<number>,
): { kept: Int32Array; stats: FilterStats } {
  const stats = newStats('box_score');
  const kept: number[] = [];
  const at = typeof threshold === 'number' ? () => threshold : (i: number) => threshold[i];
  for (let i = 0; i < input.scores.length; i++) {
    if (input.scores[i] >= at(i)) {
      kept.push(i);
      countKept(stats);
    } else countDropped(stats, 'low_score');
  }
  return { kept: Int32Array.from(kept), stats };
}
