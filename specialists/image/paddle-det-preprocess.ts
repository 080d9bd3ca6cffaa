import type { RgbImage } from './image-decode.ts';
import { resizeRgb } from './resize.ts';

/** PaddleOCR DB detection input, as `DetResizeForTest` (limit_type max) + `NormalizeImage` do it. */
export interface PaddleDetOptions {
  /** Longest side after resize (PaddleOCR `det_limit_side_len`, default 960). */
  limitSideLen?: number;
}

export interface PaddleDetInput {
  /** CHW float32, channels in BGR order (PaddleOCR reads images with cv2). */
  tensor: Float32Array;
  width: number;
  height: number;
  /** Resized size / original size, per axis. */
  ratioX: number;
  ratioY: number;
}

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export async function paddleDetInput(img: RgbImage, opts: PaddleDetOptions = {}): Promise<PaddleDetInput> {
  const limit = opts.limitSideLen ?? 960;
  const ratio = Math.max(img.width, img.height) > limit ? limit / Math.max(img.width, img.height) : 1;
  const width = Math.max(Math.round((img.width * ratio) / 32) * 32, 32);
  const height = Math.max(Math.round((img.height * ratio) / 32) * 32, 32);
  const r = await resizeRgb(img, width, height, 'linear');
  const plane = width * height;
  const tensor = new Float32Array(3 * plane);
  // channel c of the tensor holds BGR[c], normalised with MEAN[c] / STD[c] as PaddleOCR does on its BGR arrays.
  for (let c = 0; c < 3; c++) {
    const src = 2 - c;
    const o = c * plane;
    const m = MEAN[c];
    const inv = 1 / STD[c];
    for (let i = 0, s = src; i < plane; i++, s += 3) tensor[o + i] = (r.data[s] / 255 - m) * inv;
  }
  return { tensor, width, height, ratioX: width / img.width, ratioY: height / img.height };
}

/** Pads each image's CHW tensor into one NCHW batch of the largest height and width (bottom/right, value 0). */
export function batchPadded(items: { tensor: Float32Array; width: number; height: number }[]): {
  data: Float32Array;
  width: number;
  height: number;
} {
  const W = Math.max(...items.map((i) => i.width));
  const H = Math.max(...items.map((i) => i.height));
  const data = new Float32Array(items.length * 3 * W * H);
  items.forEach((it, b) => {
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < it.height; y++) {
        const s = c * it.width * it.height + y * it.width;
        data.set(it.tensor.subarray(s, s + it.width), ((b * 3 + c) * H + y) * W);
      }
    }
  });
  return { data, width: W, height: H };
}
