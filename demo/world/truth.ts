import type { Granularity } from '../../schemas/records.ts';
import type { Background, Predicate, Scene, WorldObject, WorldWord } from './scene.ts';
import type { BackgroundPattern, BackgroundTone } from './vocab.ts';

export interface Phrase {
  start: number;
  end: number;
  phrase: string;
  /** object_id or word_id values. */
  refs: string[];
}
/** Declared here, not in captions.ts, so the truth types and the caption writer do not import each other. */
export interface Caption {
  granularity: Granularity;
  text: string;
  phrases: Phrase[];
}

/**
 * The truth of a world as tables (one row per image, object, word, relation, caption, phrase), and
 * back. A scene read back from the truth has everything the captions and noisy labels need, but not
 * the outlines (those are only needed to draw).
 */
/** A truth row is the scene's object or word without its outline (only drawing needs it), plus the image. */
export type TruthObject = Omit<WorldObject, 'outline'> & { image_id: string };
export type TruthWord = Omit<WorldWord, 'outline'> & { image_id: string };
export interface TruthImage {
  image_id: string;
  uri: string;
  width: number;
  height: number;
  background_tone: BackgroundTone;
  background_pattern: BackgroundPattern;
  background_period: number;
  background_direction: number;
  clutter: number;
}
export interface TruthRelation {
  image_id: string;
  subject: string;
  predicate: Predicate;
  object: string;
}
export interface TruthCaption {
  image_id: string;
  text_id: string;
  granularity: Granularity;
  text: string;
}
export interface TruthPhrase {
  image_id: string;
  text_id: string;
  granularity: Granularity;
  phrase: string;
  span: [number, number];
  refs: string[];
}
export interface Truth {
  images: TruthImage[];
  objects: TruthObject[];
  words: TruthWord[];
  relations: TruthRelation[];
  captions: TruthCaption[];
  phrases: TruthPhrase[];
}
export const TRUTH_TABLES = ['images', 'objects', 'words', 'relations', 'captions', 'phrases'] as const;

/** A scene as the captions and noise need it: geometry as numbers, no outlines. */
export interface SceneTruth {
  image_id: string;
  index: number;
  width: number;
  height: number;
  background: Background;
  objects: Omit<TruthObject, 'image_id'>[];
  words: Omit<TruthWord, 'image_id'>[];
  relations: Omit<TruthRelation, 'image_id'>[];
}

export const textIdOf = (image_id: string, granularity: Granularity) => `${image_id}-${granularity}`;
export const emptyTruth = (): Truth => ({
  images: [],
  objects: [],
  words: [],
  relations: [],
  captions: [],
  phrases: [],
});

export function addToTruth(t: Truth, scene: Scene, uri: string, captions: Caption[]): void {
  const image_id = scene.image_id;
  t.images.push({
    image_id,
    uri,
    width: scene.width,
    height: scene.height,
    background_tone: scene.background.tone,
    background_pattern: scene.background.pattern,
    background_period: scene.background.period,
    background_direction: scene.background.direction,
    clutter: scene.clutter.length,
  });
  for (const o of scene.objects) {
    t.objects.push({
      image_id,
      object_id: o.object_id,
      category: o.category,
      colour: o.colour,
      size: o.size,
      box: o.box,
      cx: o.cx,
      cy: o.cy,
      radius: o.radius,
      angle: o.angle,
      z: o.z,
      occluded: o.occluded,
    });
  }
  for (const w of scene.words)
    t.words.push({
      image_id,
      word_id: w.word_id,
      text: w.text,
      colour: w.colour,
      font_size: w.font_size,
      angle: w.angle,
      quad: w.quad,
      box: w.box,
    });
  for (const r of scene.relations) t.relations.push({ image_id, ...r });
  for (const c of captions) {
    const text_id = textIdOf(image_id, c.granularity);
    t.captions.push({ image_id, text_id, granularity: c.granularity, text: c.text });
    for (const p of c.phrases)
      t.phrases.push({
        image_id,
        text_id,
        granularity: c.granularity,
        phrase: p.phrase,
        span: [p.start, p.end],
        refs: p.refs,
      });
  }
}

function byImage<T extends { image_id: string }>(rows: T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    let list = m.get(r.image_id);
    if (!list) m.set(r.image_id, (list = []));
    list.push(r);
  }
  return m;
}

export function scenesFromTruth(t: Truth): SceneTruth[] {
  const objects = byImage(t.objects);
  const words = byImage(t.words);
  const relations = byImage(t.relations);
  return t.images.map((im, index) => ({
    image_id: im.image_id,
    index,
    width: im.width,
    height: im.height,
    background: {
      tone: im.background_tone,
      pattern: im.background_pattern,
      period: im.background_period,
      direction: im.background_direction ? 1 : 0,
    },
    objects: (objects.get(im.image_id) ?? []).map(({ image_id: _, ...o }) => o).sort((a, b) => a.z - b.z),
    words: (words.get(im.image_id) ?? []).map(({ image_id: _, ...w }) => w),
    relations: (relations.get(im.image_id) ?? []).map(({ image_id: _, ...r }) => r),
  }));
}
