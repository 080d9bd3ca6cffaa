import sharp from 'sharp';
import type { RgbImage } from './image-decode.ts';

export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

/** Resizes decoded RGB pixels to exactly `width` x `height` (aspect ratio is the caller's business). */
export async function resizeRgb(img: RgbImage, width: number, height: number, kernel: ResizeKernel): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer();
  return { width, height, data };
}

/** Stacks equally sized CHW tensors into one NCHW tensor. */
export function stackChw(items: Float32Array[]): Float32Array {
  if (items.length === 0) return new Float32Array(0);
  const n = items[0].length;
  const out = new Float32Array(items.length * n);
  items.forEach((t, i) => {
    if (t.length !== n) throw new Error(`stackChw: tensor ${i} has ${t.length} values, expected ${n}`);
    out.set(t, i * n);
  });
  return out;
}
