import type { LetterboxInfo } from '../image/letterbox.ts';
import { unletterboxBox } from '../image/letterbox.ts';

export interface RawDetection {
  /** [x0, y0, x1, y1] in original-image pixels, clipped to the image. */
  box: [number, number, number, number];
  classId: number;
  score: number;
}

/**
 * Decodes one image of a YOLO-format output `[B, 4 + C, A]` (ultralytics v8/11 export: per anchor
 * centre x, y, width, height in letterbox pixels, then C class scores). Each anchor keeps its best
 * class; anchors under `minScore` are dropped; no NMS (that is filters/' job). Highest score first,
 * at most `maxPerImage`.
 */
export function decodeYolo(
  out: Float32Array,
  dims: readonly number[],
  b: number,
  info: LetterboxInfo,
  minScore: number,
  maxPerImage: number,
): RawDetection[] {
  if (dims.length !== 3) throw new Error(`YOLO output must be [B, 4 + classes, anchors], got [${dims.join(', ')}]`);
  const [, ch, anchors] = dims;
  const classes = ch - 4;
  if (classes < 1) throw new Error(`YOLO output has ${ch} channels: need 4 box values plus at least one class`);
  const base = b * ch * anchors;
  const found: RawDetection[] = [];
  for (let a = 0; a < anchors; a++) {
    let best = -Infinity;
    let cls = -1;
    for (let c = 0; c < classes; c++) {
      const s = out[base + (4 + c) * anchors + a];
      if (s > best) {
        best = s;
        cls = c;
      }
    }
    if (!(best >= minScore)) continue;
    const cx = out[base + a];
    const cy = out[base + anchors + a];
    const w = out[base + 2 * anchors + a];
    const h = out[base + 3 * anchors + a];
    if (!(Number.isFinite(cx) && Number.isFinite(cy) && Number.isFinite(w) && Number.isFinite(h))) continue;
    const box = unletterboxBox(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, info);
    if (!(box[2] > box[0] && box[3] > box[1])) continue; // nothing of it inside the image
    found.push({ box, classId: cls, score: best });
  }
  found.sort((x, y) => y.score - x.score);
  return found.length > maxPerImage ? found.slice(0, maxPerImage) : found;
}
