import type { RgbImage } from '../image/decode.ts';
import { resizeRgb } from '../image/resize.ts';

/** PP-OCR recognition input height and the narrowest batch width (`rec_image_shape` 3,48,320). */
export const REC_HEIGHT = 48;
export const REC_MIN_WIDTH = 320;

/**
 * One recognition batch, as PaddleOCR's `resize_norm_img`: every crop resized to height 48 keeping
 * its aspect ratio (capped at the batch width), BGR, (x / 255 - 0.5) / 0.5, right-padded with 0 to
 * the width of the widest aspect ratio in the batch.
 */
export async function recBatchTensor(crops: RgbImage[]): Promise<{ data: Float32Array; width: number }> {
  const maxRatio = Math.max(REC_MIN_WIDTH / REC_HEIGHT, ...crops.map((c) => c.width / c.height));
  const W = Math.trunc(REC_HEIGHT * maxRatio);
  const plane = REC_HEIGHT * W;
  const data = new Float32Array(crops.length * 3 * plane);
  await Promise.all(crops.map(async (crop, b) => {
    const rw = Math.min(W, Math.max(1, Math.ceil(REC_HEIGHT * (crop.width / crop.height))));
    const r = await resizeRgb(crop, rw, REC_HEIGHT, 'linear');
    for (let c = 0; c < 3; c++) {
      const o = (b * 3 + c) * plane;
      for (let y = 0; y < REC_HEIGHT; y++) {
        for (let x = 0, s = (y * rw) * 3 + (2 - c); x < rw; x++, s += 3) data[o + y * W + x] = r.data[s] / 127.5 - 1;
      }
    }
  }));
  return { data, width: W };
}

/**
 * Greedy CTC decode of one row of softmax output `[T, C]`: best class per step, repeats merged,
 * blank (0) dropped; the score is the mean probability of the kept steps (PaddleOCR's CTCLabelDecode).
 */
export function ctcDecode(probs: Float32Array, offset: number, steps: number, classes: number, dict: string[]): { text: string; score: number } {
  let text = '';
  let sum = 0, n = 0, prev = -1;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0, bp = probs[base];
    for (let k = 1; k < classes; k++) if (probs[base + k] > bp) { bp = probs[base + k]; best = k; }
    if (best !== 0 && best !== prev) {
      text += dict[best - 1] ?? '';
      sum += bp;
      n++;
    }
    prev = best;
  }
  return { text, score: n ? sum / n : 0 };
}

/** PaddleOCR's character list: one character per line, then a space (`use_space_char`); index 0 is the CTC blank. */
export function parseDictionary(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return [...lines, ' '];
}
