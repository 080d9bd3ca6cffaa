/** Seeded random annotations for the Florence-2 codec and parser tests (not a test file itself). */
import type { Box, ImageSize, Quad } from '../../schemas/loc-codec.ts';
import { rng } from '../helpers/rng.ts';
export { rng };

export const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Sizes from tiny to large, integer and not, square and extreme aspect ratios. */
export function randomSize(r: () => number): ImageSize {
  const kind = r();
  if (kind < 0.1) return { width: int(r, 1, 20), height: int(r, 1, 20) };
  if (kind < 0.2) return { width: 1 + r() * 3000, height: 1 + r() * 3000 };
  if (kind < 0.3) return { width: int(r, 2000, 12000), height: int(r, 10, 200) };
  return { width: int(r, 64, 4096), height: int(r, 64, 4096) };
}

/** A box inside the image (x0 <= x1, y0 <= y1); sometimes touching the edges. */
export function randomBox(r: () => number, s: ImageSize): Box {
  const edge = r() < 0.1;
  const x0 = edge ? 0 : r() * s.width;
  const y0 = edge ? 0 : r() * s.height;
  const x1 = edge && r() < 0.5 ? s.width : x0 + r() * (s.width - x0);
  const y1 = edge && r() < 0.5 ? s.height : y0 + r() * (s.height - y0);
  return [x0, y0, x1, y1];
}

/** A quad clockwise from top-left, slightly skewed. */
export function randomQuad(r: () => number, s: ImageSize): Quad {
  const [x0, y0, x1, y1] = randomBox(r, s);
  const dx = (x1 - x0) * 0.1 * r();
  const dy = (y1 - y0) * 0.1 * r();
  return [x0 + dx, y0, x1, y0 + dy, x1 - dx, y1, x0, y1 - dy];
}

export const WORDS = [
  'car',
  'door',
  'wheel',
  'person',
  'red circle',
  'blue square',
  'traffic light',
  'a dog',
  'the sky',
  'tree',
  'window',
  'green triangle',
  'bicycle',
  'stop sign',
  'cup',
  'laptop',
  'yellow star',
];
/** Labels a model may emit that MSP's parser changes: non-ASCII characters are dropped. */
export const NON_ASCII_WORDS = ['café', 'naïve chair', 'Straße', '日本', 'crème brûlée', 'señal', 'Ω'];
/** Phrases on MSP's grounding blacklist. */
export const BLACKLISTED = ['it', 'the image', 'these', 'a', 'someone', 'I'];
export const OCR_TEXTS = [
  'CUDA',
  'FOR ENGINEERS',
  'An Introduction',
  'x<y',
  'a < b',
  '3 > 2',
  'Straße 12',
  'No. 5',
  'EXIT',
  '$9.99',
  'ÉCOLE',
];
