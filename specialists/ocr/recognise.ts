import type { RgbImage } from '../image/image-decode.ts';
import { resizeRgb } from '../image/resize.ts';

/** PP-OCR recognition input height (`rec_image_shape` 3,48,320). */
export const REC_HEIGHT = 48;
/** PaddleOCR's narrowest batch width (the 320 of `rec_image_shape`); the adapter does not pad to it by default. */
export const PADDLE_REC_MIN_WIDTH = 320;

/**
 * One recognition batch, as PaddleOCR's `resize_norm_img`: every crop resized to height 48 keeping
 * its aspect ratio (capped at the batch width), BGR, (x / 255 - 0.5) / 0.5, right-padded with 0 to
 * the width of the widest aspect ratio in the batch, or to `minWidth` if that is wider.
 *
 * The model's cost grows with the width, and PaddleOCR's 320 minimum is mostly padding for a word
 * (a 5-letter word is about 130 wide): on 100 demo-world images no minimum cut our CPU per image
 * from about 85 to 43 ms, and CER went 0.013 -> 0.010 (docs/experiments/2026-12-04-ocr-scene.md).
 */
export async function recBatchTensor(crops: RgbImage[], minWidth = 0): Promise<{ data: Float32Array; width: number }> {
  const maxRatio = Math.max(minWidth / REC_HEIGHT, ...crops.map((c) => c.width / c.height));
  const W = Math.trunc(REC_HEIGHT * maxRatio);
  const plane = REC_HEIGHT * W;
  const data = new Float32Array(crops.length * 3 * plane);
  await Promise.all(
    crops.map(async (crop, b) => {
      const rw = Math.min(W, Math.max(1, Math.ceil(REC_HEIGHT * (crop.width / crop.height))));
      const r = await resizeRgb(crop, rw, REC_HEIGHT, 'linear');
      for (let c = 0; c < 3; c++) {
        const o = (b * 3 + c) * plane;
        for (let y = 0; y < REC_HEIGHT; y++) {
          for (let x = 0, s = y * rw * 3 + (2 - c); x < rw; x++, s += 3) data[o + y * W + x] = r.data[s] / 127.5 - 1;
        }
      }
    }),
  );
  return { data, width: W };
}

/**
 * Space evidence at which a space is put between two characters (see ctcDecode). Word recall and
 * precision on 50 generated scene images were 0.99 / 0.99 at 0.05, 0.08 and 0.1 alike (greedy
 * decoding: 0.80 / 0.91 on 40 others); 0.05 split a real label printed with wide letter spacing.
 */
export const SPACE_FLOOR = 0.1;

/**
 * Greedy CTC decode of one row of softmax output `[T, C]`: best class per step, repeats merged,
 * blank (0) dropped; the score is the mean probability of the kept steps (PaddleOCR's CTCLabelDecode).
 *
 * PP-OCRv4's recogniser was trained mostly on Chinese, where lines have no spaces: between two
 * words it often puts its mass on blank, with the space class second. When the space class (the
 * dictionary's last entry) reaches `spaceFloor` at a blank step between two emitted characters and no
 * space was emitted there, a space is put between them. 1 (default here) never adds one; the
 * adapter uses SPACE_FLOOR.
 */
export function ctcDecode(
  probs: Float32Array,
  offset: number,
  steps: number,
  classes: number,
  dict: string[],
  spaceFloor = 1,
): { text: string; score: number } {
  let text = '';
  let sum = 0,
    n = 0,
    prev = -1;
  const space = dict.length;
  let spaceMax = 0;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0,
      bp = probs[base];
    for (let k = 1; k < classes; k++)
      if (probs[base + k] > bp) {
        bp = probs[base + k];
        best = k;
      }
    if (best !== 0 && best !== prev) {
      if (best !== space && spaceMax >= spaceFloor && text && !text.endsWith(' ')) text += ' ';
      text += dict[best - 1] ?? '';
      sum += bp;
      n++;
      spaceMax = 0;
    }
    // only blank steps count: a character's own steps carry the tail of a space just emitted before it
    if (best === 0 && space < classes && probs[base + space] > spaceMax) spaceMax = probs[base + space];
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
