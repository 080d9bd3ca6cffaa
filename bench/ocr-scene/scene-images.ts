/**
 * A scene-text set that is not the demo world: signs and labels of several words per line set with
 * the font's own space, in Liberation, Noto and URW faces (Debian's fonts-liberation,
 * fonts-noto-core, fonts-urw-base35), 11-64 px, upright or turned up to 35 degrees, on plain,
 * gradient, plate and cluttered backgrounds at high to low contrast, some blurred or JPEG-compressed.
 *
 * Glyphs are laid out here with opentype.js (advance widths, no shaping, as demo/world/font.ts
 * does) and drawn as SVG paths, so every word's quad is exact: the outline's bounding box in the
 * line's frame, turned with the line. A set is a pure function of its seed (demo/world/rng.ts);
 * image i is the same whatever the number of images asked for.
 */
import { existsSync, readFileSync } from 'node:fs';
import opentype, { type Font, type PathCommand } from 'opentype.js';
import sharp from 'sharp';
import { Rng } from '../../demo/world/rng.ts';

export interface SceneWord {
  text: string;
  /** Axis-aligned [x0, y0, x1, y1] of the quad, in pixels. */
  box: [number, number, number, number];
  /** The word's outline box in its line's frame, turned with the line: clockwise from the top-left. */
  quad: [number, number, number, number, number, number, number, number];
}

export interface SceneLine {
  text: string;
  font: string;
  size: number;
  /** Degrees, clockwise (SVG). */
  angle: number;
  /** The union of its words' outline boxes in the line's frame, turned with the line: clockwise from the top-left. */
  quad: SceneWord['quad'];
}

export interface SceneImage {
  id: string;
  bytes: Buffer;
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  lines: SceneLine[];
  words: SceneWord[];
}

export interface SceneFont {
  name: string;
  file: string;
  /** The Debian package that ships the file. */
  pkg: string;
}

const LIB = '/usr/share/fonts/truetype/liberation';
const NOTO = '/usr/share/fonts/truetype/noto';
const URW = '/usr/share/fonts/opentype/urw-base35';

export const SCENE_FONTS: SceneFont[] = [
  { name: 'Liberation Sans', file: `${LIB}/LiberationSans-Regular.ttf`, pkg: 'fonts-liberation' },
  { name: 'Liberation Sans Bold', file: `${LIB}/LiberationSans-Bold.ttf`, pkg: 'fonts-liberation' },
  { name: 'Liberation Serif', file: `${LIB}/LiberationSerif-Regular.ttf`, pkg: 'fonts-liberation' },
  { name: 'Liberation Sans Narrow Bold', file: `${LIB}/LiberationSansNarrow-Bold.ttf`, pkg: 'fonts-liberation' },
  { name: 'Liberation Mono', file: `${LIB}/LiberationMono-Regular.ttf`, pkg: 'fonts-liberation' },
  { name: 'Noto Sans', file: `${NOTO}/NotoSans-Regular.ttf`, pkg: 'fonts-noto-core' },
  { name: 'Noto Sans Bold', file: `${NOTO}/NotoSans-Bold.ttf`, pkg: 'fonts-noto-core' },
  { name: 'Noto Serif Italic', file: `${NOTO}/NotoSerif-Italic.ttf`, pkg: 'fonts-noto-core' },
  { name: 'Nimbus Sans Bold', file: `${URW}/NimbusSans-Bold.otf`, pkg: 'fonts-urw-base35' },
  { name: 'C059 Roman', file: `${URW}/C059-Roman.otf`, pkg: 'fonts-urw-base35' },
  { name: 'URW Gothic Book', file: `${URW}/URWGothic-Book.otf`, pkg: 'fonts-urw-base35' },
  { name: 'URW Bookman Light', file: `${URW}/URWBookman-Light.otf`, pkg: 'fonts-urw-base35' },
  { name: 'P052 Bold', file: `${URW}/P052-Bold.otf`, pkg: 'fonts-urw-base35' },
  { name: 'Nimbus Mono PS Bold', file: `${URW}/NimbusMonoPS-Bold.otf`, pkg: 'fonts-urw-base35' },
];

/** The Debian packages whose fonts are missing here (empty when the whole set can be drawn). */
export function missingFontPackages(): string[] {
  return [...new Set(SCENE_FONTS.filter((f) => !existsSync(f.file)).map((f) => f.pkg))];
}

const WORDS = [
  'harbor', 'bakery', 'quartz', 'cafe', 'station', 'north', 'gate', 'parking', 'market', 'river', 'garden', 'museum', 'open',
  'daily', 'exit', 'entrance', 'hotel', 'pharmacy', 'books', 'coffee', 'street', 'avenue', 'bridge', 'tower', 'library',
  'closed', 'sunday', 'fresh', 'bread', 'fish', 'pizza', 'bicycle', 'repair', 'taxi', 'rank', 'platform', 'ticket', 'office',
  'sale', 'today', 'only', 'welcome', 'to', 'the', 'old', 'mill', 'city', 'hall', 'fire', 'lane', 'school', 'zone', 'slow',
  'please', 'keep', 'clear', 'private', 'road', 'lift', 'level', 'west', 'wing', 'green', 'grocer', 'flower', 'shop', 'night',
  'bus', 'stop', 'ferry', 'pier', 'junction', 'bay', 'view', 'motel', 'diner', 'laundry', 'jazz', 'club', 'vintage', 'wharf',
];
const NUMBERS = ['38', '12', '7', '2024', '24', '105', '3B', '9', '1890', '42', 'A4', '5th', '360'];

function caseOf(rng: Rng, w: string, style: number): string {
  if (/^\d/.test(w)) return w;
  if (style === 0) return w;
  if (style === 1) return w.toUpperCase();
  if (style === 2) return w[0].toUpperCase() + w.slice(1);
  return rng.chance(0.5) ? w.toUpperCase() : w;
}

function lineText(rng: Rng): string[] {
  const n = rng.pick([1, 2, 2, 2, 3, 3, 3, 4, 4, 5]);
  const style = rng.int(0, 3);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(rng.chance(0.15) ? rng.pick(NUMBERS) : caseOf(rng, rng.pick(WORDS), style));
  return words;
}

type Rgb = [number, number, number];
const hex = (c: Rgb) => `#${c.map((v) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0')).join('')}`;
const luma = (c: Rgb) => (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]) / 255;

function colour(rng: Rng): Rgb {
  return [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
}

/** A text colour at least `minDiff` away in luma from `bg` (low-contrast signs use a smaller gap). */
function textColourFor(rng: Rng, bg: Rgb, minDiff: number): Rgb {
  for (let k = 0; k < 60; k++) {
    const c = colour(rng);
    if (Math.abs(luma(c) - luma(bg)) >= minDiff) return c;
  }
  return luma(bg) > 0.5 ? [20, 20, 20] : [240, 240, 240];
}

const fonts = new Map<string, Font>();
function fontOf(f: SceneFont): Font {
  let font = fonts.get(f.file);
  if (!font) {
    const buf = readFileSync(f.file);
    font = opentype.parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    fonts.set(f.file, font);
  }
  return font;
}

interface Laid {
  d: string;
  advance: number;
  /** Outline bounds in the line frame (baseline y = 0, y down), or null for a blank. */
  bounds: [number, number, number, number] | null;
}

/** One word's glyphs from pen position `x0`: SVG path data, advance and outline bounds (curves sampled). */
function layWord(font: Font, text: string, size: number, x0: number): Laid {
  const scale = size / font.unitsPerEm;
  let x = x0, d = '';
  let b: [number, number, number, number] | null = null;
  const grow = (px: number, py: number) => {
    if (!b) b = [px, py, px, py];
    else b = [Math.min(b[0], px), Math.min(b[1], py), Math.max(b[2], px), Math.max(b[3], py)];
  };
  for (const ch of text) {
    const g = font.charToGlyph(ch);
    let px = 0, py = 0;
    for (const c of g.getPath(x, 0, size).commands as PathCommand[]) {
      const r = (v: number) => Math.round(v * 100) / 100;
      if (c.type === 'M' || c.type === 'L') {
        d += `${c.type}${r(c.x!)} ${r(c.y!)}`;
        grow(c.x!, c.y!);
      } else if (c.type === 'Q') {
        d += `Q${r(c.x1!)} ${r(c.y1!)} ${r(c.x!)} ${r(c.y!)}`;
        for (let t = 0.125; t <= 1; t += 0.125) {
          const u = 1 - t;
          grow(u * u * px + 2 * u * t * c.x1! + t * t * c.x!, u * u * py + 2 * u * t * c.y1! + t * t * c.y!);
        }
      } else if (c.type === 'C') {
        d += `C${r(c.x1!)} ${r(c.y1!)} ${r(c.x2!)} ${r(c.y2!)} ${r(c.x!)} ${r(c.y!)}`;
        for (let t = 0.125; t <= 1; t += 0.125) {
          const u = 1 - t;
          grow(u * u * u * px + 3 * u * u * t * c.x1! + 3 * u * t * t * c.x2! + t * t * t * c.x!,
            u * u * u * py + 3 * u * u * t * c.y1! + 3 * u * t * t * c.y2! + t * t * t * c.y!);
        }
      } else d += 'Z';
      if (c.type !== 'Z') [px, py] = [c.x!, c.y!];
    }
    x += (g.advanceWidth ?? 0) * scale;
  }
  return { d, advance: x - x0, bounds: b };
}

type Box = [number, number, number, number];
const overlaps = (a: Box, b: Box) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

function background(rng: Rng, w: number, h: number): { svg: string; base: Rgb } {
  const base = colour(rng);
  const kind = rng.pick(['plain', 'gradient', 'clutter', 'clutter']);
  let svg = `<rect width="${w}" height="${h}" fill="${hex(base)}"/>`;
  if (kind === 'gradient') {
    const other: Rgb = base.map((v) => v + rng.range(-90, 90)) as Rgb;
    svg = `<defs><linearGradient id="g" x1="0" y1="0" x2="${rng.range(0.3, 1).toFixed(2)}" y2="1"><stop offset="0" stop-color="${hex(base)}"/><stop offset="1" stop-color="${hex(other)}"/></linearGradient></defs><rect width="${w}" height="${h}" fill="url(#g)"/>`;
  } else if (kind === 'clutter') {
    const n = rng.int(6, 22);
    for (let i = 0; i < n; i++) {
      const c = hex(base.map((v) => v + rng.range(-110, 110)) as Rgb);
      const op = rng.range(0.3, 0.9).toFixed(2);
      const x = rng.range(0, w), y = rng.range(0, h), s = rng.range(10, Math.min(w, h) / 2);
      const k = rng.int(0, 2);
      if (k === 0) svg += `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(s * rng.range(0.5, 2)).toFixed(1)}" height="${s.toFixed(1)}" fill="${c}" opacity="${op}" transform="rotate(${rng.range(-40, 40).toFixed(1)} ${x.toFixed(1)} ${y.toFixed(1)})"/>`;
      else if (k === 1) svg += `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${(s / 2).toFixed(1)}" fill="${c}" opacity="${op}"/>`;
      else svg += `<line x1="${x.toFixed(1)}" y1="${y.toFixed(1)}" x2="${rng.range(0, w).toFixed(1)}" y2="${rng.range(0, h).toFixed(1)}" stroke="${c}" stroke-width="${rng.range(1, 6).toFixed(1)}" opacity="${op}"/>`;
    }
  }
  return { svg, base };
}

/** Image `index` of the set drawn from `seed`. */
export async function sceneImage(seed: number, index: number, fontList: SceneFont[] = SCENE_FONTS.filter((f) => existsSync(f.file))): Promise<SceneImage> {
  if (!fontList.length) throw new Error(`no scene fonts: apt-get install -y ${[...new Set(SCENE_FONTS.map((f) => f.pkg))].join(' ')}`);
  const rng = Rng.forImage(seed, 'ocr-scene', index);
  const [width, height] = rng.pick([[640, 480], [800, 600], [512, 384], [960, 540], [400, 300], [1280, 720], [720, 960]] as const);
  const bg = background(rng, width, height);
  const placed: Box[] = [];
  const lines: SceneLine[] = [];
  const words: SceneWord[] = [];
  let body = '';
  const nLines = rng.int(2, 6);
  for (let li = 0; li < nLines; li++) {
    const f = rng.pick(fontList);
    const font = fontOf(f);
    const size = Math.round(rng.chance(0.25) ? rng.range(11, 18) : rng.range(18, 64));
    const r = rng.float();
    const angle = r < 0.55 ? 0 : (rng.chance(0.5) ? -1 : 1) * (r < 0.85 ? rng.range(2, 15) : rng.range(15, 35));
    const texts = lineText(rng);
    const space = font.charToGlyph(' ').advanceWidth! * (size / font.unitsPerEm) * (rng.chance(0.8) ? 1 : rng.range(1.2, 1.8));
    const laid: (Laid & { text: string; x: number })[] = [];
    let x = 0;
    for (const t of texts) {
      const l = layWord(font, t, size, x);
      laid.push({ ...l, text: t, x });
      x += l.advance + space;
    }
    const lineW = x - space;
    const asc = Math.max(...laid.map((l) => -(l.bounds?.[1] ?? 0)));
    const desc = Math.max(0, ...laid.map((l) => l.bounds?.[3] ?? 0));
    const plate = rng.chance(0.3);
    const pad = plate ? size * 0.5 : size * 0.35;
    const a = (angle * Math.PI) / 180, ca = Math.cos(a), sa = Math.sin(a);
    const turn = (px: number, py: number, tx: number, ty: number): [number, number] => [tx + px * ca - py * sa, ty + px * sa + py * ca];
    let ok = false, tx = 0, ty = 0;
    for (let k = 0; k < 60 && !ok; k++) {
      tx = rng.range(0, width);
      ty = rng.range(0, height);
      const corners = [turn(-pad, -asc - pad, tx, ty), turn(lineW + pad, -asc - pad, tx, ty), turn(lineW + pad, desc + pad, tx, ty), turn(-pad, desc + pad, tx, ty)];
      const xs = corners.map((c) => c[0]), ys = corners.map((c) => c[1]);
      const box: Box = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
      if (box[0] < 2 || box[1] < 2 || box[2] > width - 2 || box[3] > height - 2) continue;
      if (placed.some((p) => overlaps(p, box))) continue;
      placed.push(box);
      ok = true;
    }
    if (!ok) continue;
    let under = bg.base;
    let g = `<g transform="translate(${tx.toFixed(2)} ${ty.toFixed(2)}) rotate(${angle.toFixed(2)})">`;
    if (plate) {
      under = colour(rng);
      g += `<rect x="${(-pad).toFixed(1)}" y="${(-asc - pad).toFixed(1)}" width="${(lineW + 2 * pad).toFixed(1)}" height="${(asc + desc + 2 * pad).toFixed(1)}" rx="${(size * 0.2).toFixed(1)}" fill="${hex(under)}"${rng.chance(0.5) ? ` stroke="${hex(colour(rng))}" stroke-width="${Math.max(1, size / 12).toFixed(1)}"` : ''}/>`;
    }
    const fill = textColourFor(rng, under, rng.chance(0.25) ? 0.28 : 0.5);
    g += `<path d="${laid.map((l) => l.d).join('')}" fill="${hex(fill)}"/></g>`;
    body += g;
    const r2 = (v: number) => Math.round(v * 10) / 10;
    const quadOf = ([x0, y0, x1, y1]: Box) => [turn(x0, y0, tx, ty), turn(x1, y0, tx, ty), turn(x1, y1, tx, ty), turn(x0, y1, tx, ty)];
    const inked = laid.filter((l) => l.bounds).map((l) => l.bounds!);
    const all: Box = [Math.min(...inked.map((b) => b[0])), Math.min(...inked.map((b) => b[1])), Math.max(...inked.map((b) => b[2])), Math.max(...inked.map((b) => b[3]))];
    lines.push({ text: texts.join(' '), font: f.name, size, angle: Math.round(angle * 100) / 100, quad: quadOf(all).flatMap((c) => c.map(r2)) as SceneWord['quad'] });
    for (const l of laid) {
      if (!l.bounds) continue;
      const q = quadOf(l.bounds);
      const xs = q.map((c) => c[0]), ys = q.map((c) => c[1]);
      words.push({
        text: l.text,
        box: [r2(Math.min(...xs)), r2(Math.min(...ys)), r2(Math.max(...xs)), r2(Math.max(...ys))],
        quad: q.flatMap((c) => c.map(r2)) as SceneWord['quad'],
      });
    }
  }
  const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${bg.svg}${body}</svg>`;
  let img = sharp(Buffer.from(svg)).removeAlpha();
  if (rng.chance(0.25)) img = img.blur(rng.range(0.5, 1.2));
  const jpeg = rng.chance(0.4);
  const bytes = await (jpeg ? img.jpeg({ quality: rng.int(55, 85) }) : img.png()).toBuffer();
  return { id: `scene-${String(index).padStart(4, '0')}`, bytes, format: jpeg ? 'jpeg' : 'png', width, height, lines, words };
}

export async function sceneSet(seed: number, n: number): Promise<SceneImage[]> {
  const out: SceneImage[] = [];
  for (let i = 0; i < n; i++) out.push(await sceneImage(seed, i));
  return out;
}
