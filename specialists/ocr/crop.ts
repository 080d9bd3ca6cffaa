import type { RgbImage } from '../image/image-decode.ts';
import { dist, type Pt } from './quad-geometry.ts';

/**
 * The text line inside a quad (clockwise from top-left) as an upright RGB image, as PaddleOCR's
 * `get_rotate_crop_image`: size from the longer opposite sides, bilinear sampling with edge
 * replication, and a tall crop (height >= 1.5 x width) turned 90 degrees counter-clockwise.
 */
export function cropQuad(img: RgbImage, q: [Pt, Pt, Pt, Pt]): RgbImage {
  const W = Math.max(1, Math.trunc(Math.max(dist(q[0], q[1]), dist(q[2], q[3]))));
  const H = Math.max(1, Math.trunc(Math.max(dist(q[0], q[3]), dist(q[1], q[2]))));
  const ex = [(q[1][0] - q[0][0]) / W, (q[1][1] - q[0][1]) / W];
  const ey = [(q[3][0] - q[0][0]) / H, (q[3][1] - q[0][1]) / H];
  const rot = H / W >= 1.5;
  const outW = rot ? H : W,
    outH = rot ? W : H;
  const data = Buffer.alloc(outW * outH * 3);
  const { width: iw, height: ih, data: src } = img;
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      // pixel centres map to pixel centres, as cv2.warpPerspective does
      const sx = q[0][0] + (u + 0.5) * ex[0] + (v + 0.5) * ey[0] - 0.5;
      const sy = q[0][1] + (u + 0.5) * ex[1] + (v + 0.5) * ey[1] - 0.5;
      const x0 = Math.floor(sx),
        y0 = Math.floor(sy);
      const fx = sx - x0,
        fy = sy - y0;
      const xa = clampI(x0, iw),
        xb = clampI(x0 + 1, iw),
        ya = clampI(y0, ih),
        yb = clampI(y0 + 1, ih);
      // np.rot90: the crop's right column becomes the top row
      const o = rot ? ((W - 1 - u) * outW + v) * 3 : (v * outW + u) * 3;
      for (let c = 0; c < 3; c++) {
        const top = src[(ya * iw + xa) * 3 + c] * (1 - fx) + src[(ya * iw + xb) * 3 + c] * fx;
        const bot = src[(yb * iw + xa) * 3 + c] * (1 - fx) + src[(yb * iw + xb) * 3 + c] * fx;
        data[o + c] = Math.round(top * (1 - fy) + bot * fy);
      }
    }
  }
  return { width: outW, height: outH, data };
}

const clampI = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);
