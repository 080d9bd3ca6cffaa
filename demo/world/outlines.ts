import type { Category } from './vocab.ts';

/**
 * Outlines as flattened polygons: a contour is a flat [x0, y0, x1, y1, ...] list, a shape is a list of
 * contours filled with the nonzero rule. Boxes are the tight bounds of the very vertices that are
 * rasterised, so a box encloses exactly what is drawn.
 */
export type Contour = number[];
export type Outline = Contour[];
export type Box = [number, number, number, number];

const TAU = 2 * Math.PI;

function regular(n: number, radius: number, startAngle: number): Contour {
  const c: Contour = [];
  for (let i = 0; i < n; i++) {
    const a = startAngle + (TAU * i) / n;
    c.push(radius * Math.cos(a), radius * Math.sin(a));
  }
  return c;
}

function star(points: number, outer: number, inner: number): Contour {
  const c: Contour = [];
  for (let i = 0; i < points * 2; i++) {
    const r = i % 2 === 0 ? outer : inner;
    const a = -Math.PI / 2 + (Math.PI * i) / points;
    c.push(r * Math.cos(a), r * Math.sin(a));
  }
  return c;
}

function heart(): Contour {
  const c: Contour = [];
  const n = 72;
  for (let i = 0; i < n; i++) {
    const t = (TAU * i) / n;
    const s = Math.sin(t);
    const x = 16 * s * s * s;
    const y = 13 * Math.cos(t) - 5 * Math.cos(2 * t) - 2 * Math.cos(3 * t) - Math.cos(4 * t);
    // The parametric heart spans x in [-16, 16], y in [-17, 12]; centre it and scale into [-1, 1].
    c.push(x / 16.5, -(y + 2.5) / 15);
  }
  return c;
}

/** Unit outlines centred on the origin, spanning about [-1, 1]; arrows point along +x. */
const UNIT: Record<Category, Outline> = {
  circle: [regular(64, 1, 0)],
  square: [[-0.8, -0.8, 0.8, -0.8, 0.8, 0.8, -0.8, 0.8]],
  triangle: [regular(3, 1, -Math.PI / 2).map((v, i) => (i % 2 === 1 ? v + 0.25 : v))],
  star: [star(5, 1, 0.45)],
  hexagon: [regular(6, 1, 0)],
  pentagon: [regular(5, 1, -Math.PI / 2).map((v, i) => (i % 2 === 1 ? v + 0.1 : v))],
  diamond: [[0, -1, 0.68, 0, 0, 1, -0.68, 0]],
  cross: [
    [
      -0.3, -1, 0.3, -1, 0.3, -0.3, 1, -0.3, 1, 0.3, 0.3, 0.3, 0.3, 1, -0.3, 1, -0.3, 0.3, -1, 0.3, -1, -0.3, -0.3,
      -0.3,
    ],
  ],
  heart: [heart()],
  arrow: [[-1, -0.16, 0.25, -0.16, 0.25, -0.55, 1, 0, 0.25, 0.55, 0.25, 0.16, -1, 0.16]],
};

/** The outline of a category scaled to `radius`, rotated by `angle` (radians) and centred on (cx, cy). */
export function shapeOutline(category: Category, cx: number, cy: number, radius: number, angle: number): Outline {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return UNIT[category].map((c) => {
    const out: Contour = new Array(c.length);
    for (let i = 0; i < c.length; i += 2) {
      const x = c[i] * radius;
      const y = c[i + 1] * radius;
      out[i] = cx + x * cos - y * sin;
      out[i + 1] = cy + x * sin + y * cos;
    }
    return out;
  });
}

export function transformOutline(outline: Outline, angle: number, tx: number, ty: number): Outline {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return outline.map((c) => {
    const out: Contour = new Array(c.length);
    for (let i = 0; i < c.length; i += 2) {
      out[i] = tx + c[i] * cos - c[i + 1] * sin;
      out[i + 1] = ty + c[i] * sin + c[i + 1] * cos;
    }
    return out;
  });
}

export function outlineBox(outline: Outline): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const c of outline) {
    for (let i = 0; i < c.length; i += 2) {
      if (c[i] < x0) x0 = c[i];
      if (c[i] > x1) x1 = c[i];
      if (c[i + 1] < y0) y0 = c[i + 1];
      if (c[i + 1] > y1) y1 = c[i + 1];
    }
  }
  return [x0, y0, x1, y1];
}

/** Nonzero-winding point test, the same rule the rasteriser fills with. */
export function insideOutline(outline: Outline, x: number, y: number): boolean {
  let winding = 0;
  for (const c of outline) {
    const n = c.length;
    for (let i = 0; i < n; i += 2) {
      const xa = c[i];
      const ya = c[i + 1];
      const xb = c[(i + 2) % n];
      const yb = c[(i + 3) % n];
      if (ya <= y) {
        if (yb > y && (xb - xa) * (y - ya) - (x - xa) * (yb - ya) > 0) winding++;
      } else if (yb <= y && (xb - xa) * (y - ya) - (x - xa) * (yb - ya) < 0) winding--;
    }
  }
  return winding !== 0;
}

export function boxArea(b: readonly number[]): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

export function intersection(a: readonly number[], b: readonly number[]): Box {
  return [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])];
}

export function iou(a: readonly number[], b: readonly number[]): number {
  const i = boxArea(intersection(a, b));
  const u = boxArea(a) + boxArea(b) - i;
  return u > 0 ? i / u : 0;
}

/** The axis-aligned box of an 8-number quad. */
export function quadBox(q: readonly number[]): Box {
  return [
    Math.min(q[0], q[2], q[4], q[6]),
    Math.min(q[1], q[3], q[5], q[7]),
    Math.max(q[0], q[2], q[4], q[6]),
    Math.max(q[1], q[3], q[5], q[7]),
  ];
}
