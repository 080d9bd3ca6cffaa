/** Plane geometry for text boxes: convex hull, minimum-area rectangle, corner order. Points are [x, y], y down. */
export type Pt = [number, number];

/** Andrew's monotone chain; collinear points dropped; input need not be sorted. */
export function convexHull(points: Pt[]): Pt[] {
  const p = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: Pt, a: Pt, b: Pt) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Pt[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Pt[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

export interface RotatedRect {
  cx: number;
  cy: number;
  /** Side along `ux, uy`, and the side across it. */
  w: number;
  h: number;
  ux: number;
  uy: number;
}

/** Minimum-area enclosing rectangle by rotating calipers over the hull's edges (as cv2.minAreaRect). */
export function minAreaRect(points: Pt[]): RotatedRect {
  const hull = convexHull(points);
  if (hull.length === 0) return { cx: 0, cy: 0, w: 0, h: 0, ux: 1, uy: 0 };
  if (hull.length === 1) return { cx: hull[0][0], cy: hull[0][1], w: 0, h: 0, ux: 1, uy: 0 };
  let best: RotatedRect | null = null;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i];
    const b = hull[(i + 1) % hull.length];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len;
    const uy = (b[1] - a[1]) / len;
    let minU = Infinity,
      maxU = -Infinity,
      minV = Infinity,
      maxV = -Infinity;
    for (const q of hull) {
      const u = q[0] * ux + q[1] * uy;
      const v = -q[0] * uy + q[1] * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = { cx: cu * ux - cv * uy, cy: cu * uy + cv * ux, w: maxU - minU, h: maxV - minV, ux, uy };
    }
  }
  return best!;
}

export function rectCorners(r: RotatedRect): Pt[] {
  const ax = (r.ux * r.w) / 2,
    ay = (r.uy * r.w) / 2;
  const bx = (-r.uy * r.h) / 2,
    by = (r.ux * r.h) / 2;
  return [
    [r.cx - ax - bx, r.cy - ay - by],
    [r.cx + ax - bx, r.cy + ay - by],
    [r.cx + ax + bx, r.cy + ay + by],
    [r.cx - ax + bx, r.cy - ay + by],
  ];
}

/** Top-left, top-right, bottom-right, bottom-left (clockwise on screen), as PaddleOCR's order_points_clockwise. */
export function orderClockwise(pts: Pt[]): [Pt, Pt, Pt, Pt] {
  const sums = pts.map((p) => p[0] + p[1]);
  const iMin = sums.indexOf(Math.min(...sums));
  let iMax = sums.lastIndexOf(Math.max(...sums));
  if (iMax === iMin) iMax = (iMin + 2) % 4;
  const rest = pts.filter((_, i) => i !== iMin && i !== iMax);
  const diff = rest.map((p) => p[1] - p[0]);
  const tr = diff[0] <= diff[1] ? rest[0] : rest[1];
  const bl = diff[0] <= diff[1] ? rest[1] : rest[0];
  return [pts[iMin], tr, pts[iMax], bl];
}

export const dist = (a: Pt, b: Pt) => Math.hypot(a[0] - b[0], a[1] - b[1]);
