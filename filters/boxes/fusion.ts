import { newStats, type FilterStats } from '../filter-stats.ts';
import { orderByScore } from './nms.ts';
import type { BoxArrays } from './arrays.ts';

/**
 * Weighted box fusion (Solovyev et al. 2021, "Weighted boxes fusion", the `ensemble_boxes` reference):
 * boxes of all sources, same label, visited in decreasing score; a box joins the first cluster whose
 * fused box it overlaps by more than `iouThreshold`, else starts one. A fused box is the score-weighted
 * mean of its members; its score is the mean member score times min(members, sources) / sources, so
 * a box only one of several sources saw is down-weighted. Each fused box keeps its sources.
 */
export interface SourceBoxes {
  /** Source name (specialist name@version, `human`, ...). */
  source: string;
  boxes: BoxArrays;
  /** Weight of this source (default 1). */
  weight?: number;
}

export interface FusedBoxes extends BoxArrays {
  /** Per fused box, the distinct sources of its members, sorted. */
  sources: string[][];
  /** Per fused box, its members as [source index, box index] pairs. */
  members: [number, number][][];
}

export interface FusionOptions {
  iouThreshold: number;
  /** Boxes scored below this do not take part (ensemble_boxes' skip_box_thr). */
  skipBelow?: number;
}

function iou(a0: number, a1: number, a2: number, a3: number, b0: number, b1: number, b2: number, b3: number): number {
  const w = Math.min(a2, b2) - Math.max(a0, b0);
  const h = Math.min(a3, b3) - Math.max(a1, b1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a2 - a0) * (a3 - a1) + (b2 - b0) * (b3 - b1) - inter);
}

export function fuseBoxes(
  inputs: readonly SourceBoxes[],
  options: FusionOptions,
): { fused: FusedBoxes; stats: FilterStats } {
  const stats = newStats('box_fusion');
  const skip = options.skipBelow ?? 0;
  const weights = inputs.map((s) => s.weight ?? 1);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const nSources = inputs.length;
  // flatten: one list of (source, index) with score * weight
  let total = 0;
  for (const s of inputs) total += s.boxes.scores.length;
  const src = new Int32Array(total),
    idx = new Int32Array(total),
    wscore = new Float64Array(total),
    label = new Int32Array(total);
  const coords = new Float64Array(total * 4);
  let m = 0;
  inputs.forEach((s, si) => {
    for (let i = 0; i < s.boxes.scores.length; i++) {
      if (!(s.boxes.scores[i] >= skip)) {
        stats.total++;
        stats.dropped.low_score = (stats.dropped.low_score ?? 0) + 1;
        continue;
      }
      src[m] = si;
      idx[m] = i;
      wscore[m] = s.boxes.scores[i] * weights[si];
      label[m] = s.boxes.labels[i];
      for (let k = 0; k < 4; k++) coords[m * 4 + k] = s.boxes.xyxy[i * 4 + k];
      m++;
    }
  });
  const order = orderByScore(wscore.subarray(0, m));
  // clusters: running weighted sums and the current fused box
  const cl: {
    label: number;
    sum: Float64Array;
    wsum: number;
    scoreSum: number;
    box: Float64Array;
    members: [number, number][];
  }[] = [];
  const byLabel = new Map<number, number[]>();
  for (let o = 0; o < m; o++) {
    const j = order[o];
    const l = label[j];
    const x0 = coords[j * 4],
      y0 = coords[j * 4 + 1],
      x1 = coords[j * 4 + 2],
      y1 = coords[j * 4 + 3];
    let list = byLabel.get(l);
    if (!list) byLabel.set(l, (list = []));
    let best = -1;
    let bestIou = options.iouThreshold;
    for (const c of list) {
      const b = cl[c].box;
      const v = iou(b[0], b[1], b[2], b[3], x0, y0, x1, y1);
      if (v > bestIou) {
        bestIou = v;
        best = c;
      }
    }
    const w = wscore[j];
    if (best < 0) {
      list.push(cl.length);
      cl.push({
        label: l,
        sum: Float64Array.of(x0 * w, y0 * w, x1 * w, y1 * w),
        wsum: w,
        scoreSum: w,
        box: Float64Array.of(x0, y0, x1, y1),
        members: [[src[j], idx[j]]],
      });
    } else {
      const c = cl[best];
      c.sum[0] += x0 * w;
      c.sum[1] += y0 * w;
      c.sum[2] += x1 * w;
      c.sum[3] += y1 * w;
      c.wsum += w;
      c.scoreSum += w;
      // a zero-score member leaves the box where it is
      if (c.wsum > 0) for (let k = 0; k < 4; k++) c.box[k] = c.sum[k] / c.wsum;
      c.members.push([src[j], idx[j]]);
    }
  }
  const n = cl.length;
  const fused: FusedBoxes = {
    xyxy: new Float64Array(n * 4),
    scores: new Float64Array(n),
    labels: new Int32Array(n),
    sources: [],
    members: [],
  };
  cl.forEach((c, k) => {
    fused.xyxy.set(c.box, k * 4);
    const count = c.members.length;
    fused.scores[k] = ((c.scoreSum / count) * Math.min(count, nSources)) / weightSum;
    fused.labels[k] = c.label;
    fused.sources.push([...new Set(c.members.map(([s]) => inputs[s].source))].sort());
    fused.members.push(c.members);
    // each cluster keeps one box; the other members are merged into it
    stats.total += count;
    stats.kept += 1;
    if (count > 1) stats.dropped.fused = (stats.dropped.fused ?? 0) + count - 1;
  });
  return { fused, stats };
}
