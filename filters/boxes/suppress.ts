/**
 * The suppression step of NMS on boxes already in visiting order (decreasing score): a box is kept
 * when no kept box before it has a float32 IoU strictly greater than the threshold. This is the same
 * decision as torchvision's loop (torchvision/csrc/ops/cpu/nms_kernel.cpp), where each kept box
 * suppresses the later boxes it overlaps: "kept iff no earlier kept box overlaps it enough" is that
 * loop read from the other side, so the kept set and its order are the same.
 *
 * Two ways to find the earlier kept boxes a box must be checked against:
 * - `suppressPairwise`: every one (torchvision's O(n^2) loop). Used when a coordinate is not finite
 *   (NaN follows std::max / std::min, infinities make areas infinite) or the threshold is negative or
 *   NaN (then a pair that does not overlap, IoU 0, can suppress).
 * - `suppressByGrid`: only those that share a grid cell with it. With finite coordinates and a
 *   threshold >= 0, a pair whose intervals do not overlap on both axes has IoU 0 (or NaN) and never
 *   suppresses; two boxes that do overlap both contain the point (max x0, max y0), so they share its
 *   cell, and the pair is checked in that cell only. Cells come in levels of doubling size so that
 *   a large box is in few cells (see `gridLevels`).
 */
const f = Math.fround;

/** Box coordinates (stride 4) and areas in visiting order, float32 like torchvision's tensors. */
export interface OrderedBoxes {
  xyxy: Float32Array;
  area: Float32Array;
  /** Every coordinate is finite. */
  finite: boolean;
}

/** Copies the boxes at `order` into visiting order, with their float32 areas. */
export function orderedBoxes(xyxy: ArrayLike<number>, order: Int32Array): OrderedBoxes {
  const n = order.length;
  const c = new Float32Array(n * 4),
    area = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k] * 4;
    c[k * 4] = xyxy[i];
    c[k * 4 + 1] = xyxy[i + 1];
    c[k * 4 + 2] = xyxy[i + 2];
    c[k * 4 + 3] = xyxy[i + 3];
  }
  let finite = true;
  for (let k = 0; k < n; k++) {
    const x0 = c[k * 4],
      y0 = c[k * 4 + 1],
      x1 = c[k * 4 + 2],
      y1 = c[k * 4 + 3];
    area[k] = f(f(x1 - x0) * f(y1 - y0));
    // x - x is 0 for a finite x, NaN for NaN and the infinities
    if (x0 - x0 + (y0 - y0) + (x1 - x1) + (y1 - y1) !== 0) finite = false;
  }
  return { xyxy: c, area, finite };
}

/**
 * Whether a kept box suppresses a later one: torchvision's float32 IoU, operation for operation,
 * strictly above the threshold. std::max(p, q) is (p < q) ? q : p and std::min(p, q) is
 * (q < p) ? q : p, which decides what a NaN coordinate does.
 */
function iouAbove(
  ax0: number,
  ay0: number,
  ax1: number,
  ay1: number,
  aArea: number,
  bx0: number,
  by0: number,
  bx1: number,
  by1: number,
  bArea: number,
  iouThreshold: number,
): boolean {
  const xx1 = ax0 < bx0 ? bx0 : ax0;
  const xx2 = bx1 < ax1 ? bx1 : ax1;
  // disjoint on x: IoU 0 (NaN for two empty boxes), which exceeds no threshold >= 0
  if (iouThreshold >= 0 && !(xx2 > xx1)) return false;
  const yy1 = ay0 < by0 ? by0 : ay0;
  const yy2 = by1 < ay1 ? by1 : ay1;
  if (iouThreshold >= 0 && !(yy2 > yy1)) return false;
  const dw = f(xx2 - xx1);
  const dh = f(yy2 - yy1);
  const w = 0 < dw ? dw : 0;
  const h = 0 < dh ? dh : 0;
  const inter = f(w * h);
  return f(inter / f(f(aArea + bArea) - inter)) > iouThreshold;
}

/** Whether kept box `a` suppresses later box `b` (visiting positions). */
function suppresses(c: Float32Array, area: Float32Array, a: number, b: number, iouThreshold: number): boolean {
  const i = a * 4,
    j = b * 4;
  return iouAbove(
    c[i],
    c[i + 1],
    c[i + 2],
    c[i + 3],
    area[a],
    c[j],
    c[j + 1],
    c[j + 2],
    c[j + 3],
    area[b],
    iouThreshold,
  );
}

/** Kept visiting positions, every later box checked against every kept one. */
export function suppressPairwise(boxes: OrderedBoxes, iouThreshold: number): Int32Array {
  const { xyxy: c, area } = boxes;
  const n = area.length;
  const kept = new Int32Array(n);
  let nk = 0;
  for (let b = 0; b < n; b++) {
    let hit = false;
    for (let k = 0; k < nk && !hit; k++) hit = suppresses(c, area, kept[k], b, iouThreshold);
    if (!hit) kept[nk++] = b;
  }
  return kept.slice(0, nk);
}

/**
 * Grid levels: level 0's cells are about a mean box wide, each next level's twice as wide, up to one
 * of at most 2 x 2 cells. A box lives at the first level where it spans at most 2 cells on each axis,
 * so it is in at most 4 cells, and each level holds boxes about its cells' size. Cells of all levels
 * are numbered in one space (`first` is a level's first cell).
 */
interface Level {
  inv: number;
  gx: number;
  gy: number;
  first: number;
}

function gridLevels(spanX: number, spanY: number, cell0: number, n: number): Level[] {
  const out: Level[] = [];
  let first = 0;
  for (let cell = cell0; ; cell *= 2) {
    const gx = Math.min(Math.floor(spanX / cell) + 1, 4 * n),
      gy = Math.min(Math.floor(spanY / cell) + 1, 4 * n);
    out.push({ inv: 1 / cell, gx, gy, first });
    first += gx * gy;
    if (gx <= 2 && gy <= 2) return out;
  }
}

/** Up to this many kept boxes, a box is checked against all of them rather than through the grid. */
const FEW_KEPT = 64;

/**
 * Kept visiting positions, each box checked only against the kept boxes sharing a cell with it. Where
 * each box would go if kept is known up front, so every cell gets a contiguous segment sized for all
 * its candidates, and kept boxes' coordinates are copied into it: a check reads memory in sequence.
 */
export function suppressByGrid(boxes: OrderedBoxes, iouThreshold: number): Int32Array {
  const { xyxy: c, area } = boxes;
  const n = area.length;
  if (n === 0) return new Int32Array(0);
  // the extent of every coordinate, and the mean size of the boxes that have one
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity,
    sumW = 0,
    sumH = 0,
    sized = 0;
  for (let k = 0; k < n; k++) {
    const x0 = c[k * 4],
      y0 = c[k * 4 + 1],
      x1 = c[k * 4 + 2],
      y1 = c[k * 4 + 3];
    if (x0 < minX) minX = x0;
    if (x1 < minX) minX = x1;
    if (y0 < minY) minY = y0;
    if (y1 < minY) minY = y1;
    if (x0 > maxX) maxX = x0;
    if (x1 > maxX) maxX = x1;
    if (y0 > maxY) maxY = y0;
    if (y1 > maxY) maxY = y1;
    if (x1 > x0 && y1 > y0) {
      sumW += x1 - x0;
      sumH += y1 - y0;
      sized++;
    }
  }
  const spanX = maxX - minX,
    spanY = maxY - minY;
  // level 0: cells about a mean box, and no more than about 4 cells per box
  const cell0 = Math.max(
    sized ? Math.max(sumW, sumH) / sized : 1,
    Math.sqrt((spanX * spanY) / (4 * n)),
    Number.MIN_VALUE,
  );
  const grid = gridLevels(spanX, spanY, cell0, n);
  const top = grid[grid.length - 1];
  const cells = top.first + top.gx * top.gy;

  // each box's home: its level's cell range [cx0, cx1] x [cy0, cy1] (level -1: an empty or inverted
  // box, which overlaps nothing, is kept and suppresses nothing)
  const home = new Int32Array(n * 5);
  const start = new Int32Array(cells + 1);
  for (let b = 0; b < n; b++) {
    const x0 = c[b * 4],
      y0 = c[b * 4 + 1],
      x1 = c[b * 4 + 2],
      y1 = c[b * 4 + 3];
    home[b * 5] = -1;
    if (!(x1 > x0 && y1 > y0)) continue;
    for (let l = 0; l < grid.length; l++) {
      const { inv, gx, gy, first } = grid[l];
      const cx0 = Math.min(gx - 1, (x0 - minX) * inv) | 0,
        cx1 = Math.min(gx - 1, (x1 - minX) * inv) | 0,
        cy0 = Math.min(gy - 1, (y0 - minY) * inv) | 0,
        cy1 = Math.min(gy - 1, (y1 - minY) * inv) | 0;
      // the last level always fits: it has at most 2 cells per axis
      if (cx1 - cx0 > 1 || cy1 - cy0 > 1) continue;
      home[b * 5] = l;
      home[b * 5 + 1] = cx0;
      home[b * 5 + 2] = cx1;
      home[b * 5 + 3] = cy0;
      home[b * 5 + 4] = cy1;
      for (let cy = cy0; cy <= cy1; cy++) for (let cx = cx0; cx <= cx1; cx++) start[first + cy * gx + cx + 1]++;
      break;
    }
  }
  for (let k = 0; k < cells; k++) start[k + 1] += start[k];
  const end = start.slice(0, cells);
  const entries = start[cells];
  const ex0 = new Float32Array(entries),
    ey0 = new Float32Array(entries),
    ex1 = new Float32Array(entries),
    ey1 = new Float32Array(entries),
    eArea = new Float32Array(entries);
  // the first cell of the kept box's range at its level, on each axis
  const eCx = new Int32Array(entries),
    eCy = new Int32Array(entries);

  const kept = new Int32Array(n),
    keptAt = new Int32Array(grid.length);
  let nk = 0;
  for (let b = 0; b < n; b++) {
    const level = home[b * 5];
    if (level < 0) {
      kept[nk++] = b;
      continue;
    }
    const x0 = c[b * 4],
      y0 = c[b * 4 + 1],
      x1 = c[b * 4 + 2],
      y1 = c[b * 4 + 3],
      bArea = area[b];
    let hit = false;
    // while few boxes are kept, checking each of them costs less than finding the cells
    if (nk <= FEW_KEPT) for (let k = 0; k < nk && !hit; k++) hit = suppresses(c, area, kept[k], b, iouThreshold);
    else
      for (let l = 0; l < grid.length && !hit; l++) {
        if (keptAt[l] === 0) continue;
        const { inv, gx, gy, first } = grid[l];
        const cx0 = Math.min(gx - 1, (x0 - minX) * inv) | 0,
          cx1 = Math.min(gx - 1, (x1 - minX) * inv) | 0,
          cy0 = Math.min(gy - 1, (y0 - minY) * inv) | 0,
          cy1 = Math.min(gy - 1, (y1 - minY) * inv) | 0;
        for (let cy = cy0; cy <= cy1 && !hit; cy++)
          for (let cx = cx0; cx <= cx1 && !hit; cx++) {
            const cell = first + cy * gx + cx;
            for (let e = start[cell], stop = end[cell]; e < stop && !hit; e++) {
              // an overlapping pair shares the cell of the point (max x0, max y0): check it there only
              if (cx !== (eCx[e] > cx0 ? eCx[e] : cx0) || cy !== (eCy[e] > cy0 ? eCy[e] : cy0)) continue;
              hit = iouAbove(ex0[e], ey0[e], ex1[e], ey1[e], eArea[e], x0, y0, x1, y1, bArea, iouThreshold);
            }
          }
      }
    if (hit) continue;
    kept[nk++] = b;
    keptAt[level]++;
    const { gx, first } = grid[level];
    for (let cy = home[b * 5 + 3]; cy <= home[b * 5 + 4]; cy++)
      for (let cx = home[b * 5 + 1]; cx <= home[b * 5 + 2]; cx++) {
        const e = end[first + cy * gx + cx]++;
        ex0[e] = x0;
        ey0[e] = y0;
        ex1[e] = x1;
        ey1[e] = y1;
        eArea[e] = bArea;
        eCx[e] = home[b * 5 + 1];
        eCy[e] = home[b * 5 + 3];
      }
  }
  return kept.slice(0, nk);
}

/** Kept visiting positions: the grid when its conditions hold, else every pair. */
export function suppress(boxes: OrderedBoxes, iouThreshold: number): Int32Array {
  return boxes.finite && iouThreshold >= 0
    ? suppressByGrid(boxes, iouThreshold)
    : suppressPairwise(boxes, iouThreshold);
}
