import { iou } from '../world/outlines.ts';

/**
 * Greedy one-to-one matching of predicted to true boxes, best IoU first, pairs below `threshold` left
 * unmatched (the COCO-style rule at a single threshold). Returns [pred index, truth index] pairs.
 */
export function matchBoxes(
  pred: readonly (readonly number[])[],
  truth: readonly (readonly number[])[],
  threshold = 0.5,
): [number, number][] {
  const pairs: [number, number, number][] = [];
  for (let p = 0; p < pred.length; p++) {
    for (let t = 0; t < truth.length; t++) {
      const v = iou(pred[p], truth[t]);
      if (v >= threshold) pairs.push([v, p, t]);
    }
  }
  pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
  const usedP = new Set<number>();
  const usedT = new Set<number>();
  const out: [number, number][] = [];
  for (const [, p, t] of pairs) {
    if (usedP.has(p) || usedT.has(t)) continue;
    usedP.add(p);
    usedT.add(t);
    out.push([p, t]);
  }
  return out;
}
