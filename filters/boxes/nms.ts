import { newStats, countKept, countDropped, type FilterStats } from '../filter-stats.ts';
import type { BoxArrays } from './arrays.ts';
import { orderedBoxes, suppress } from './suppress.ts';

/**
 * Non-maximum suppression with torchvision's semantics (torchvision/csrc/ops/cpu/nms_kernel.cpp):
 * boxes are visited in decreasing score; a box is suppressed when its IoU with a kept, higher-scored
 * box is strictly greater than `iouThreshold`. Arithmetic is float32 like torchvision's on float32
 * tensors (every operation rounded with Math.fround), so the kept set is the same bit for bit.
 * Ties in score: the lower input index comes first (a stable descending sort).
 * Returns the kept indexes in decreasing score order, as torchvision.ops.nms does. The suppression
 * itself (and why it may skip pairs) is in `suppress.ts`.
 */

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

/** Indexes kept among `order` (visiting order), in that order. */
function keepInOrder(xyxy: ArrayLike<number>, order: Int32Array, iouThreshold: number): Int32Array {
  const kept = suppress(orderedBoxes(xyxy, order), iouThreshold);
  for (let k = 0; k < kept.length; k++) kept[k] = order[kept[k]];
  return kept;
}

/** Class-agnostic NMS: torchvision.ops.nms. */
export function nms(boxes: Pick<BoxArrays, 'xyxy' | 'scores'>, iouThreshold: number): Int32Array {
  return keepInOrder(boxes.xyxy, orderByScore(boxes.scores), iouThreshold);
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
    for (const k of keepInOrder(boxes.xyxy, orderByScore(boxes.scores, idx), iouThreshold)) kept.push(k);
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
