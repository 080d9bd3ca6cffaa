import type { Outline } from './outlines.ts';

/**
 * A small deterministic rasteriser: RGB canvas, nonzero fill with anti-aliasing from 4 sub-scanlines
 * per row and exact horizontal coverage. Pure arithmetic on doubles, so the pixels are the same on
 * every machine (no native renderer whose version or SIMD path could change them).
 */
export type Rgb = readonly [number, number, number];

const SUB = 4;

export class Canvas {
  readonly data: Uint8ClampedArray;
  private readonly cov: Float64Array;
  // Crossings of one sub-scanline; outlines here have at most a few thousand edges.
  private crossX = new Float64Array(8192);
  private crossDir = new Int8Array(8192);

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8ClampedArray(width * height * 3);
    this.cov = new Float64Array(width + 2);
  }

  /** Fills every pixel through fn(x, y, out) writing r, g, b into out (no allocation per pixel). */
  paint(fn: (x: number, y: number, out: number[]) => void): void {
    const d = this.data;
    const c = [0, 0, 0];
    let k = 0;
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        fn(x, y, c);
        d[k++] = c[0];
        d[k++] = c[1];
        d[k++] = c[2];
      }
    }
  }

  /** Fills an outline (nonzero rule) with `colour` at opacity `alpha`. */
  fill(outline: Outline, colour: Rgb, alpha = 1): void {
    const xs: number[] = [];
    const ys: number[] = [];
    let ymin = Infinity;
    let ymax = -Infinity;
    for (const c of outline) {
      const n = c.length;
      for (let i = 0; i < n; i += 2) {
        xs.push(c[i], c[(i + 2) % n]);
        ys.push(c[i + 1], c[(i + 3) % n]);
        if (c[i + 1] < ymin) ymin = c[i + 1];
        if (c[i + 1] > ymax) ymax = c[i + 1];
      }
    }
    const row0 = Math.max(0, Math.floor(ymin));
    const row1 = Math.min(this.height - 1, Math.floor(ymax));
    if (xs.length / 2 > this.crossX.length) {
      this.crossX = new Float64Array(xs.length);
      this.crossDir = new Int8Array(xs.length);
    }
    const edges = xs.length / 2;
    const cx = this.crossX;
    const cd = this.crossDir;
    const cov = this.cov;
    const w = this.width;
    for (let row = row0; row <= row1; row++) {
      cov.fill(0);
      let touched = false;
      for (let s = 0; s < SUB; s++) {
        const sy = row + (s + 0.5) / SUB;
        let n = 0;
        for (let e = 0; e < edges; e++) {
          const ya = ys[2 * e];
          const yb = ys[2 * e + 1];
          if (ya === yb) continue;
          const up = yb > ya;
          if (up ? sy < ya || sy >= yb : sy < yb || sy >= ya) continue;
          const xa = xs[2 * e];
          const x = xa + ((sy - ya) * (xs[2 * e + 1] - xa)) / (yb - ya);
          const d = up ? 1 : -1;
          // Insertion sort by x (then direction): a scanline crosses few edges.
          let i = n++;
          while (i > 0 && (cx[i - 1] > x || (cx[i - 1] === x && cd[i - 1] > d))) {
            cx[i] = cx[i - 1];
            cd[i] = cd[i - 1];
            i--;
          }
          cx[i] = x;
          cd[i] = d;
        }
        let winding = 0;
        let start = 0;
        for (let i = 0; i < n; i++) {
          const before = winding;
          winding += cd[i];
          if (before === 0 && winding !== 0) start = cx[i];
          else if (before !== 0 && winding === 0) {
            addSpan(cov, w, start, cx[i], 1 / SUB);
            touched = true;
          }
        }
      }
      if (!touched) continue;
      const d = this.data;
      let k = row * w * 3;
      for (let x = 0; x < w; x++, k += 3) {
        const c = cov[x];
        if (c <= 0) continue;
        const a = (c >= 1 ? 1 : c) * alpha;
        d[k] = d[k] + (colour[0] - d[k]) * a;
        d[k + 1] = d[k + 1] + (colour[1] - d[k + 1]) * a;
        d[k + 2] = d[k + 2] + (colour[2] - d[k + 2]) * a;
      }
    }
  }
}

/** Adds weight * (covered length) to each pixel column that [xa, xb) covers. */
function addSpan(cov: Float64Array, w: number, xa: number, xb: number, weight: number): void {
  if (xa < 0) xa = 0;
  if (xb > w) xb = w;
  if (xb <= xa) return;
  const ia = Math.floor(xa);
  const ib = Math.floor(xb);
  if (ia === ib) {
    cov[ia] += (xb - xa) * weight;
    return;
  }
  cov[ia] += (ia + 1 - xa) * weight;
  for (let i = ia + 1; i < ib; i++) cov[i] += weight;
  if (ib < w) cov[ib] += (xb - ib) * weight;
}
