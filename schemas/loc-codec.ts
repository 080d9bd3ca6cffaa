/**
 * The `<loc_N>` codec of Florence-2 (docs/florence2-formats.md section 4, from MSP `BoxQuantizer` /
 * `CoordinatesQuantizer`): 1000 bins per axis, floor quantisation clamped to 0..999, dequantisation at
 * the bin centre without clamping. Coordinates are absolute pixels of the original image.
 */

export const LOC_BINS = 1000;
export const MAX_LOC = LOC_BINS - 1;

export interface ImageSize {
  width: number;
  height: number;
}

export type Box = [number, number, number, number];
/** OCR quad: x1,y1,...,x4,y4, clockwise from top-left. */
export type Quad = [number, number, number, number, number, number, number, number];
/** A polygon as a flat list x1,y1,x2,y2,...; quantised per (x, y) pair like quads. */
export type Polygon = number[];

/** Bad input to the codec or a target builder: the message names the item and the offending value. */
export class LocCodecError extends Error {
  override name = 'LocCodecError';
}

export function checkImageSize(size: ImageSize, what = 'image size'): void {
  const ok = (v: number) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!size || !ok(size.width) || !ok(size.height)) {
    throw new LocCodecError(`${what}: width and height must be finite and > 0 (got ${JSON.stringify(size)})`);
  }
}

/**
 * One coordinate to its bin. Written as MSP writes it, `floor(v / (extent / 1000))`, rather than
 * `floor(v * 1000 / extent)`: the two round differently exactly at bin edges.
 */
export function quantiseCoord(v: number, extent: number): number {
  if (!Number.isFinite(v)) throw new LocCodecError(`coordinate must be finite (got ${v})`);
  const bin = Math.floor(v / (extent / LOC_BINS));
  return bin < 0 ? 0 : bin > MAX_LOC ? MAX_LOC : bin;
}

/** A bin back to pixels: the bin centre. No clamp, so an out-of-vocabulary bin such as 1000 lands past the edge. */
export function dequantiseCoord(bin: number, extent: number): number {
  return (bin + 0.5) * (extent / LOC_BINS);
}

/** Quantise a flat x,y,x,y,... list (box, quad or polygon): even indices use the width, odd the height. */
export function quantisePoints(xy: readonly number[], size: ImageSize): number[] {
  checkImageSize(size);
  return xy.map((v, i) => quantiseCoord(v, i % 2 === 0 ? size.width : size.height));
}

export function dequantisePoints(bins: readonly number[], size: ImageSize): number[] {
  return bins.map((b, i) => dequantiseCoord(b, i % 2 === 0 ? size.width : size.height));
}

export function quantiseBox(box: readonly number[], size: ImageSize): Box {
  if (box.length !== 4) throw new LocCodecError(`box must have 4 numbers (got ${JSON.stringify(box)})`);
  return quantisePoints(box, size) as Box;
}

export function dequantiseBox(bins: readonly number[], size: ImageSize): Box {
  return dequantisePoints(bins, size) as Box;
}

export function quantiseQuad(quad: readonly number[], size: ImageSize): Quad {
  if (quad.length !== 8) throw new LocCodecError(`quad must have 8 numbers (got ${JSON.stringify(quad)})`);
  return quantisePoints(quad, size) as Quad;
}

export function dequantiseQuad(bins: readonly number[], size: ImageSize): Quad {
  return dequantisePoints(bins, size) as Quad;
}

export function quantisePolygon(poly: readonly number[], size: ImageSize): Polygon {
  if (poly.length % 2 !== 0) throw new LocCodecError(`polygon must have an even count of numbers (got ${poly.length})`);
  return quantisePoints(poly, size);
}

export const dequantisePolygon = dequantisePoints;

/** `<loc_N>` for a bin in the vocabulary (0..999); anything else is a bug in the caller. */
export function locToken(bin: number): string {
  if (!Number.isInteger(bin) || bin < 0 || bin > MAX_LOC) {
    throw new LocCodecError(`loc bin must be an integer in 0..${MAX_LOC} (got ${bin})`);
  }
  return `<loc_${bin}>`;
}

export function locTokens(bins: readonly number[]): string {
  return bins.map(locToken).join('');
}

/**
 * Matches one loc token as the references' parsers do (`<loc_(\d+)>`): any digits, so out-of-vocabulary
 * bins such as `<loc_1000>` or `<loc_007>` are read as numbers too. Global: reset lastIndex or use matchAll.
 */
export const LOC_TOKEN_RE = /<loc_(\d+)>/g;

/** Every loc token in `text`, in order, as bins. */
export function parseLocTokens(text: string): number[] {
  return Array.from(text.matchAll(LOC_TOKEN_RE), (m) => Number(m[1]));
}
