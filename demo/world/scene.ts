import { Rng } from './rng.ts';
import { layoutText } from './font.ts';
import {
  type Box,
  type Outline,
  boxArea,
  insideOutline,
  intersection,
  outlineBox,
  shapeOutline,
  transformOutline,
} from './outlines.ts';
import {
  BACKGROUND_PATTERNS,
  BACKGROUND_TONES,
  CATEGORIES,
  COLOUR_NAMES,
  WORDS,
  WORD_COLOURS,
  type BackgroundPattern,
  type BackgroundTone,
  type Category,
  type Colour,
  type Size,
  type WordColour,
} from './vocab.ts';

/** One scene of the demo world: everything that is drawn, with exact geometry. */
export interface WorldObject {
  object_id: string;
  category: Category;
  colour: Colour;
  size: Size;
  cx: number;
  cy: number;
  radius: number;
  angle: number;
  /** Tight box of the drawn outline, [x0, y0, x1, y1] in pixels. */
  box: Box;
  /** Drawing order: higher is drawn later, on top. */
  z: number;
  /** Fraction of the object's area hidden by objects or words drawn over it. */
  occluded: number;
  outline: Outline;
}

export interface WorldWord {
  word_id: string;
  text: string;
  colour: WordColour;
  font_size: number;
  angle: number;
  /** Clockwise from top-left: x0, y0 (top-left), x1, y1 (top-right), x2, y2 (bottom-right), x3, y3 (bottom-left). */
  quad: number[];
  box: Box;
  outline: Outline;
}

export type Predicate = 'overlaps' | 'is stacked on' | 'points to';
export interface Relation {
  subject: string;
  predicate: Predicate;
  object: string;
}

export interface Clutter {
  outline: Outline;
  shade: number;
}

export interface Background {
  tone: BackgroundTone;
  pattern: BackgroundPattern;
  /** Pattern period in pixels (stripes, checks) and direction (0 = vertical bands / top-down gradient). */
  period: number;
  direction: 0 | 1;
}

export interface Scene {
  image_id: string;
  index: number;
  width: number;
  height: number;
  background: Background;
  clutter: Clutter[];
  objects: WorldObject[];
  words: WorldWord[];
  relations: Relation[];
}

export interface SceneOptions {
  width: number;
  height: number;
  /** Probability that an image carries written words. */
  wordProbability: number;
}
export const DEFAULT_SCENE_OPTIONS: SceneOptions = { width: 256, height: 256, wordProbability: 0.4 };

const MAX_HIDDEN = 0.45;
const UPRIGHT: ReadonlySet<Category> = new Set(['heart', 'cross', 'diamond', 'circle']);

export const imageIdOf = (index: number): string => String(index).padStart(6, '0');

/** Samples points of an outline on a grid, to measure how much of it later drawings hide. */
function samplePoints(outline: Outline, box: Box): number[] {
  const pts: number[] = [];
  const step = Math.max(1, Math.min(box[2] - box[0], box[3] - box[1]) / 10);
  for (let y = box[1] + step / 2; y < box[3]; y += step) {
    for (let x = box[0] + step / 2; x < box[2]; x += step) if (insideOutline(outline, x, y)) pts.push(x, y);
  }
  return pts;
}

function hiddenFraction(pts: number[], covers: { outline: Outline; box: Box }[]): number {
  if (pts.length === 0 || covers.length === 0) return 0;
  let hidden = 0;
  for (let i = 0; i < pts.length; i += 2) {
    const x = pts[i];
    const y = pts[i + 1];
    if (
      covers.some(
        (c) => x >= c.box[0] && x <= c.box[2] && y >= c.box[1] && y <= c.box[3] && insideOutline(c.outline, x, y),
      )
    )
      hidden++;
  }
  return hidden / (pts.length / 2);
}

/** True when two outlines share at least `minPixels` of area (sampled at 1 px). */
function shapesOverlap(a: WorldObject, b: WorldObject, minPixels: number): boolean {
  const ib = intersection(a.box, b.box);
  if (boxArea(ib) < minPixels) return false;
  let n = 0;
  for (let y = Math.floor(ib[1]) + 0.5; y < ib[3]; y++) {
    for (let x = Math.floor(ib[0]) + 0.5; x < ib[2]; x++) {
      if (insideOutline(a.outline, x, y) && insideOutline(b.outline, x, y) && ++n >= minPixels) return true;
    }
  }
  return false;
}

const inside = (b: Box, w: number, h: number, margin: number) =>
  b[0] >= margin && b[1] >= margin && b[2] <= w - margin && b[3] <= h - margin;

/**
 * A word drawn with its pen at (tx, ty) on the baseline, rotated by `angle` about that point. The quad
 * is the tight box of the glyph outlines in the word's own frame, turned with it: clockwise from top-left.
 */
export function makeWord(
  word_id: string,
  text: string,
  colour: WordColour,
  font_size: number,
  angle: number,
  tx: number,
  ty: number,
): WorldWord {
  const laid = layoutText(text, font_size);
  const local = outlineBox(laid.outline);
  const corners = [local[0], local[1], local[2], local[1], local[2], local[3], local[0], local[3]];
  const quad = transformOutline([corners], angle, tx, ty)[0];
  return {
    word_id,
    text,
    colour,
    font_size,
    angle,
    quad,
    box: outlineBox([quad]),
    outline: transformOutline(laid.outline, angle, tx, ty),
  };
}

export function sampleScene(seed: number, index: number, options: SceneOptions = DEFAULT_SCENE_OPTIONS): Scene {
  const { width: W, height: H } = options;
  const S = Math.min(W, H);
  const rng = Rng.forImage(seed, 'scene', index);
  const image_id = imageIdOf(index);

  const background: Background = {
    tone: rng.pick(Object.keys(BACKGROUND_TONES) as BackgroundTone[]),
    pattern: rng.pick(BACKGROUND_PATTERNS),
    period: rng.int(6, 24),
    direction: rng.chance(0.5) ? 1 : 0,
  };

  const clutter: Clutter[] = [];
  for (let i = rng.int(0, 6); i > 0; i--) {
    const x = rng.range(0, W);
    const y = rng.range(0, H);
    const shade = rng.range(0.55, 0.8);
    if (rng.chance(0.5)) {
      const len = rng.range(0.04, 0.15) * S;
      const a = rng.range(0, Math.PI);
      const t = rng.range(0.5, 0.8);
      clutter.push({ outline: transformOutline([[0, -t, len, -t, len, t, 0, t]], a, x, y), shade });
    } else {
      const r = rng.range(1, 2.2);
      clutter.push({ outline: transformOutline([[r, 0, 0, r, -r, 0, 0, -r]], rng.range(0, 1), x, y), shade });
    }
  }

  const objects: WorldObject[] = [];
  const relations: Relation[] = [];
  const samples = new Map<string, number[]>();
  const target = rng.int(1, 8);
  for (let attempt = 0; objects.length < target && attempt < target * 25; attempt++) {
    const category = rng.pick(CATEGORIES);
    const colour = rng.pick(COLOUR_NAMES);
    const size: Size = rng.chance(0.5) ? 'small' : 'large';
    const radius = S * (size === 'small' ? rng.range(0.05, 0.07) : rng.range(0.11, 0.16));
    let angle = UPRIGHT.has(category) ? 0 : rng.chance(0.5) ? 0 : rng.range(-0.45, 0.45);
    let cx = rng.range(radius, W - radius);
    let cy = rng.range(radius, H - radius);
    let relation: Relation | null = null;
    const object_id = `${image_id}-o${objects.length}`;
    const bases = objects.filter((o) => o.category !== 'arrow');
    if (category === 'arrow') {
      angle = rng.range(-Math.PI, Math.PI);
      if (bases.length > 0) {
        const t = rng.pick(bases);
        const dist = t.radius + radius * rng.range(1.3, 2.2);
        cx = t.cx - dist * Math.cos(angle);
        cy = t.cy - dist * Math.sin(angle);
        relation = { subject: object_id, predicate: 'points to', object: t.object_id };
      }
    } else if (bases.length > 0 && rng.chance(0.2)) {
      const base = rng.pick(bases);
      angle = 0;
      const probe = outlineBox(shapeOutline(category, 0, 0, radius, 0));
      cx = base.cx + rng.range(-0.3, 0.3) * (base.box[2] - base.box[0]);
      cy = base.box[1] - probe[3];
      relation = { subject: object_id, predicate: 'is stacked on', object: base.object_id };
    }
    const outline = shapeOutline(category, cx, cy, radius, angle);
    const box = outlineBox(outline);
    if (!inside(box, W, H, 1)) continue;
    const candidate: WorldObject = {
      object_id,
      category,
      colour,
      size,
      cx,
      cy,
      radius,
      angle,
      box,
      z: objects.length,
      occluded: 0,
      outline,
    };
    // Every earlier object must stay mostly visible once this one is drawn over it.
    let ok = true;
    for (let i = 0; i < objects.length && ok; i++) {
      const covers = objects.slice(i + 1).concat(candidate);
      if (hiddenFraction(samples.get(objects[i].object_id)!, covers) > MAX_HIDDEN) ok = false;
    }
    if (!ok) continue;
    samples.set(object_id, samplePoints(outline, box));
    objects.push(candidate);
    if (relation) relations.push(relation);
  }

  for (let j = 0; j < objects.length; j++) {
    for (let i = 0; i < j; i++) {
      const linked = relations.some(
        (r) =>
          (r.subject === objects[j].object_id && r.object === objects[i].object_id) ||
          (r.subject === objects[i].object_id && r.object === objects[j].object_id),
      );
      if (!linked && shapesOverlap(objects[j], objects[i], 12))
        relations.push({ subject: objects[j].object_id, predicate: 'overlaps', object: objects[i].object_id });
    }
  }

  const words: WorldWord[] = [];
  if (rng.chance(options.wordProbability)) {
    const count = rng.chance(0.3) ? 2 : 1;
    for (let attempt = 0; words.length < count && attempt < 40; attempt++) {
      const text = rng.pick(WORDS);
      const font_size = Math.round(S * rng.range(0.06, 0.1));
      const angle = rng.chance(0.3) ? rng.range(-0.3, 0.3) : 0;
      const local = outlineBox(layoutText(text, font_size).outline);
      const word = makeWord(
        `${image_id}-w${words.length}`,
        text,
        rng.pick(Object.keys(WORD_COLOURS) as WordColour[]),
        font_size,
        angle,
        rng.range(0, W - (local[2] - local[0])),
        rng.range(font_size, H),
      );
      const box = word.box;
      if (!inside(box, W, H, 2)) continue;
      // Words go where they do not hide much of an object or another word.
      if (words.some((w) => boxArea(intersection(w.box, box)) > 0)) continue;
      if (objects.some((o) => boxArea(intersection(o.box, box)) > 0.25 * boxArea(box))) continue;
      words.push(word);
    }
  }

  for (let i = 0; i < objects.length; i++) {
    const covers = [...objects.slice(i + 1), ...words];
    objects[i].occluded = Math.round(hiddenFraction(samples.get(objects[i].object_id)!, covers) * 1000) / 1000;
  }

  return { image_id, index, width: W, height: H, background, clutter, objects, words, relations };
}
