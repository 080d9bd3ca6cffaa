import type { RgbImage } from './image-decode.ts';
import { resizeRgb } from './resize.ts';

/** How an original image sits in the letterboxed square: to map boxes back, x = (x' - padX) / scale. */
export interface LetterboxInfo {
  scale: number;
  padX: number;
  padY: number;
  width: number;
  height: number;
}

export const LETTERBOX_PAD = 114;

/**
 * YOLO letterbox as ultralytics does it: scale to fit `size` keeping the aspect ratio, centre, pad
 * with grey 114, RGB scaled to [0, 1], CHW. Padding offsets round like ultralytics (`round(d - 0.1)`).
 */
export async function letterbox(img: RgbImage, size: number): Promise<{ tensor: Float32Array; info: LetterboxInfo }> {
  const scale = Math.min(size / img.width, size / img.height);
  const nw = Math.max(1, Math.round(img.width * scale));
  const nh = Math.max(1, Math.round(img.height * scale));
  const padX = Math.max(0, Math.round((size - nw) / 2 - 0.1));
  const padY = Math.max(0, Math.round((size - nh) / 2 - 0.1));
  const resized = await resizeRgb(img, nw, nh, 'linear');
  const plane = size * size;
  const tensor = new Float32Array(3 * plane).fill(LETTERBOX_PAD / 255);
  const src = resized.data;
  for (let y = 0; y < nh; y++) {
    let s = y * nw * 3;
    let d = (y + padY) * size + padX;
    for (let x = 0; x < nw; x++, s += 3, d++) {
      tensor[d] = src[s] / 255;
      tensor[plane + d] = src[s + 1] / 255;
      tensor[2 * plane + d] = src[s + 2] / 255;
    }
  }
  return { tensor, info: { scale, padX, padY, width: img.width, height: img.height } };
}

/** Maps a box from letterbox pixels back to the original image, clipped to it. */
export function unletterboxBox(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  info: LetterboxInfo,
): [number, number, number, number] {
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return [
    clip((x0 - info.padX) / info.scale, info.width),
    clip((y0 - info.padY) / info.scale, info.height),
    clip((x1 - info.padX) / info.scale, info.width),
    clip((y1 - info.padY) / info.scale, info.height),
  ];
}
