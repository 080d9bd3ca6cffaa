import { newStats, countKept, countDropped, type FilterStats } from '../stats.ts';
import type { BoxArrays } from './arrays.ts';

/**
 * Non-maximum suppression with torchvision's semantics (torchvision/csrc/ops/cpu/nms_kernel.cpp):
 * boxes are visited in decreasing score; a box is suppressed when its IoU with a kept, higher-scored
 * box is strictly greater than `iouThreshold`. Arithmetic is float32 like torchvision's on float32
 * tensors (every operation rounded with Math.fround), so the kept set is the same bit for bit.
 * Ties in score: the lower input index comes first (a stable descending sort).
 * Returns the kept indexes in decreasing score order, as torchvision.ops.nms does.
 */
const f = Math.fround;

/** Indexes of `scores` sorted by decreasing score, ties by increasing index. */
export function orderByScore(scores: ArrayLike<number>, subset?: ArrayLike<number>): Int32Array {
  const idx = subset ? Int32Array.from(subset) : Int32Array.from({ length: scores.length }, (_, i) => i);
  // NaN scores sort last (they should have been dropped by validation)
  return idx.sort((a, b) => {
    const sa = scores[a],
      sb = scores[b];
    if (sa > sb) return -1;
    if (sa < sb) return 1;
    if (sa !== sb) return Number.isNaN(sa) ? (Number.isNaN(sb) ? a - b : 1) : -1;
    return a - b;
  });
}

function suppress(xyxy: ArrayLike<number>, order: Int32Array, iouThreshold: number): number[] {
  const n = order.length;
  // copies in visiting order: sequential memory in the inner loop
  const x1 = new Float32Array(n),
    y1 = new Float32Array(n),
    x2 = new Float32Array(n),
    y2 = new Float32Array(n),
    area = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k] * 4;
    x1[k] = xyxy[i];
    y1[k] = xyxy[i + 1];
    x2[k] = xyxy[i + 2];
    y2[k] = xyxy[i + 3];
    area[k] = f(f(x2[k] - x1[k]) * f(y2[k] - y1[k]));
  }
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  // Pairs that do not overlap have IoU 0 (NaN for two empty boxes), which never exceeds a threshold
  // >= 0: skipping them early keeps the result and saves the float32 arithmetic.
  const skipDisjoint = iouThreshold >= 0;
  for (let a = 0; a < n; a++) {
    if (suppressed[a]) continue;
    keep.push(order[a]);
    const ix1 = x1[a],
      iy1 = y1[a],
      ix2 = x2[a],
      iy2 = y2[a],
      iarea = area[a];
    for (let b = a + 1; b < n; b++) {
      if (suppressed[b]) continue;
      // std::max(a, b) is (a < b) ? b : a and std::min(a, b) is (b < a) ? b : a: same NaN behaviour
      const xx1 = ix1 < x1[b] ? x1[b] : ix1;
      const xx2 = x2[b] < ix2 ? x2[b] : ix2;
      if (skipDisjoint && !(xx2 > xx1)) continue;
      const yy1 = iy1 < y1[b] ? y1[b] : iy1;
      const yy2 = y2[b] < iy2 ? y2[b] : iy2;
      if (skipDisjoint && !(yy2 > yy1)) continue;
      const dw = f(xx2 - xx1);
      const dh = f(yy2 - yy1);
      const w = 0 < dw ? dw : 0;
      const h = 0 < dh ? dh : 0;
      const inter = f(w * h);
      const ovr = f(inter / f(f(iarea + area[b]) - inter));
      if (ovr > iouThreshold) suppressed[b] = 1;
    }
  }
  return keep;
}

/** Class-agnostic NMS: torchvision.ops.nms. */
export function nms(boxes: Pick<BoxArrays, 'xyxy' | 'scores'>, iouThreshold: number): Int32Array {
  return Int32Array.from(suppress(boxes.xyxy, orderByScore(boxes.scores), iouThreshold));
}

/**
 * Class-aware NMS: each label on its own, the union returned in decreasing score (ties by index),
 * as torchvision.ops.batched_nms does (its per-class path, `_batched_nms_vanilla`).
 */
export function batchedNms(boxes: BoxArrays, iouThreshold: number): Int32Array {
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < boxes.labels.length; i++) {
    const l = boxes.labels[i];
    let list = byLabel.get(l);
    if (!list) byLabel.set(l, (list = []));
    list.push(i);
  }
  const kept: number[] = [];
  for (const idx of byLabel.values())
    for (const k of suppress(boxes.xyxy, orderByScore(boxes.scores, idx), iouThreshold)) kept.push(k);
  return orderByScore(boxes.scores, kept);
}

/** NMS as a filter: kept indexes plus stats (dropped reason `nms`). */
export function nmsFilter(
  boxes: BoxArrays,
  iouThreshold: number,
  classAware: boolean,
): { kept: Int32Array; stats: FilterStats } {
  const kept = classAware ? batchedNms(boxes, iouThreshold) : nms(boxes, iouThreshold);
  const stats = newStats(classAware ? 'box_nms_class_aware' : 'box_nms');
  for (let i = 0; i < kept.length; i++) countKept(stats);
  for (let i = kept.length; i < boxes.scores.length; i++) countDropped(stats, 'nms');
  return { kept, stats };
}
