/**
 * `<loc_N>` tokens by Florence-2's floor rule (florence2.md section 4): bin = clamp(floor(v / (size /
 * 1000)), 0, 999). A minimal local quantiser: the canonical codec is being written in `schemas/` on
 * another branch and replaces this file when merged.
 */
export const LOC_BINS = 1000;

export function quantise(v: number, size: number): number {
  const bin = Math.floor(v / (size / LOC_BINS));
  return bin < 0 ? 0 : bin > LOC_BINS - 1 ? LOC_BINS - 1 : bin;
}

/** Points as alternating x, y in pixels -> `<loc_x><loc_y>...`. Boxes are [x0, y0, x1, y1], quads 4 points. */
export function locTokens(xy: readonly number[], width: number, height: number): string {
  let out = '';
  for (let i = 0; i < xy.length; i++) out += `<loc_${quantise(xy[i], i % 2 === 0 ? width : height)}>`;
  return out;
}
