import { readFileSync } from 'node:fs';
import opentype, { type Font, type PathCommand } from 'opentype.js';
import type { Contour, Outline } from './outlines.ts';

/**
 * Glyph outlines from the one font shipped with the repo (DejaVu Sans, assets/). Layout is done here,
 * glyph by glyph with advance widths and no shaping: opentype.js 1.3.5 throws on DejaVu's GSUB
 * (ccmp lookup type 6 format 2), and ASCII words need no shaping.
 */
export const FONT_FILE = new URL('./assets/DejaVuSans.ttf', import.meta.url);

let cached: Font | null = null;
function font(): Font {
  if (!cached) {
    const buf = readFileSync(FONT_FILE);
    cached = opentype.parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  }
  return cached;
}

const Q_STEPS = 6;
const C_STEPS = 8;

/** Flattens opentype path commands into polygon contours with a fixed number of steps per curve. */
function flatten(commands: PathCommand[]): Outline {
  const out: Outline = [];
  let cur: Contour = [];
  let px = 0;
  let py = 0;
  const close = () => {
    if (cur.length >= 6) out.push(cur);
    cur = [];
  };
  for (const c of commands) {
    if (c.type === 'M') {
      close();
      px = c.x!;
      py = c.y!;
      cur.push(px, py);
    } else if (c.type === 'L') {
      px = c.x!;
      py = c.y!;
      cur.push(px, py);
    } else if (c.type === 'Q') {
      for (let i = 1; i <= Q_STEPS; i++) {
        const t = i / Q_STEPS;
        const u = 1 - t;
        cur.push(u * u * px + 2 * u * t * c.x1! + t * t * c.x!, u * u * py + 2 * u * t * c.y1! + t * t * c.y!);
      }
      px = c.x!;
      py = c.y!;
    } else if (c.type === 'C') {
      for (let i = 1; i <= C_STEPS; i++) {
        const t = i / C_STEPS;
        const u = 1 - t;
        const a = u * u * u;
        const b = 3 * u * u * t;
        const d = 3 * u * t * t;
        const e = t * t * t;
        cur.push(a * px + b * c.x1! + d * c.x2! + e * c.x!, a * py + b * c.y1! + d * c.y2! + e * c.y!);
      }
      px = c.x!;
      py = c.y!;
    } else close();
  }
  close();
  return out;
}

export interface LaidOutText {
  /** Contours in text-local pixels: the pen starts at x = 0 on the baseline y = 0 (y grows down). */
  outline: Outline;
  advance: number;
}

export function layoutText(text: string, size: number): LaidOutText {
  const f = font();
  const scale = size / f.unitsPerEm;
  let x = 0;
  const outline: Outline = [];
  for (const ch of text) {
    const g = f.charToGlyph(ch);
    for (const c of flatten(g.getPath(x, 0, size).commands)) outline.push(c);
    x += (g.advanceWidth ?? 0) * scale;
  }
  return { outline, advance: x };
}
