import type { Granularity, RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import { captionsOf, type Caption } from './captions.ts';
import type { Box } from './outlines.ts';
import { quadBox } from './outlines.ts';
import type { Rng } from './rng.ts';
import type { SceneTruth } from './truth.ts';
import { textIdOf } from './truth.ts';
import { CATEGORIES, COLOUR_NAMES, isColour, type Category } from './vocab.ts';

/**
 * Annotation rows (schemas/records.ts shapes) for a scene: exact when `noise` is null, or the noisy
 * labels that stand in for imperfect specialists. Every knob is a probability or a relative size.
 */
export interface NoiseKnobs {
  /** Probability that the detector misses an object. */
  dropObject: number;
  /** Probability that a detected object gets another category. */
  wrongCategory: number;
  /** Standard deviation of each box edge, as a fraction of the box's width or height. */
  boxJitter: number;
  /** Probability that a detection is reported twice (a second, jittered box). */
  duplicateBox: number;
  /** Probability that a caption names an object with the wrong colour. */
  captionWrongColour: number;
  /** Probability that a caption leaves an object out. */
  captionMissingObject: number;
  /** Probability that a caption names an object that is not there (a hallucination). */
  captionExtraObject: number;
  /** Probability that OCR misreads each character. */
  misreadChar: number;
  /** Probability that OCR misses a word. */
  dropWord: number;
}
export const DEFAULT_NOISE: NoiseKnobs = {
  dropObject: 0.15,
  wrongCategory: 0.1,
  boxJitter: 0.08,
  duplicateBox: 0.05,
  captionWrongColour: 0.15,
  captionMissingObject: 0.2,
  captionExtraObject: 0.1,
  misreadChar: 0.06,
  dropWord: 0.1,
};
export const NO_NOISE: NoiseKnobs = {
  dropObject: 0,
  wrongCategory: 0,
  boxJitter: 0,
  duplicateBox: 0,
  captionWrongColour: 0,
  captionMissingObject: 0,
  captionExtraObject: 0,
  misreadChar: 0,
  dropWord: 0,
};

export interface Labels {
  region_text: RegionTextRecord[];
  text: TextRecord[];
  text_phrase_region: TextPhraseRegionRecord[];
}

export const SOURCES = {
  detector: 'world-detector@1',
  ocr: 'world-ocr@1',
  captioner: 'world-captioner@1',
  grounding: 'world-grounding@1',
};
export const TRUTH_SOURCE = 'truth@1';

const CONFUSIONS: Record<string, string> = {
  O: '0',
  '0': 'O',
  I: '1',
  '1': 'l',
  l: 'I',
  S: '5',
  '5': 'S',
  B: '8',
  '8': 'B',
  e: 'c',
  c: 'e',
  a: 'o',
  o: 'a',
  n: 'h',
  h: 'n',
  rn: 'm',
};

function misread(text: string, p: number, rng: Rng): string {
  let out = '';
  for (const ch of text) {
    if (ch !== ' ' && rng.chance(p)) out += CONFUSIONS[ch] ?? String.fromCharCode(97 + rng.int(0, 25));
    else out += ch;
  }
  return out;
}

function jitter(b: readonly number[], sigma: number, w: number, h: number, rng: Rng): Box {
  if (sigma === 0) return [b[0], b[1], b[2], b[3]];
  const bw = b[2] - b[0];
  const bh = b[3] - b[1];
  const clampX = (v: number) => Math.min(w, Math.max(0, v));
  const clampY = (v: number) => Math.min(h, Math.max(0, v));
  const x0 = clampX(b[0] + rng.normal() * sigma * bw);
  const y0 = clampY(b[1] + rng.normal() * sigma * bh);
  const x1 = clampX(b[2] + rng.normal() * sigma * bw);
  const y1 = clampY(b[3] + rng.normal() * sigma * bh);
  return [Math.min(x0, x1 - 1), Math.min(y0, y1 - 1), Math.max(x1, x0 + 1), Math.max(y1, y0 + 1)];
}

/** The scene as a noisy captioner would see it: some objects left out, some colours wrong. */
export function perturbScene(scene: SceneTruth, noise: NoiseKnobs, rng: Rng): SceneTruth {
  const objects = scene.objects
    .filter(() => !rng.chance(noise.captionMissingObject))
    .map((o) =>
      rng.chance(noise.captionWrongColour) ? { ...o, colour: rng.pick(COLOUR_NAMES.filter((c) => c !== o.colour)) } : o,
    );
  const kept = new Set(objects.map((o) => o.object_id));
  if (rng.chance(noise.captionExtraObject)) {
    // A hallucinated object of a category the image does not hold, somewhere plausible.
    const absent = CATEGORIES.filter((c) => !scene.objects.some((o) => o.category === c));
    const r = Math.min(scene.width, scene.height) * 0.08;
    const cx = rng.range(r, scene.width - r);
    const cy = rng.range(r, scene.height - r);
    objects.push({
      object_id: `${scene.image_id}-hallucinated`,
      category: rng.pick(absent.length ? absent : CATEGORIES),
      colour: rng.pick(COLOUR_NAMES),
      size: 'small',
      box: [cx - r, cy - r, cx + r, cy + r],
      cx,
      cy,
      radius: r,
      angle: 0,
      z: scene.objects.length,
      occluded: 0,
    });
  }
  return { ...scene, objects, relations: scene.relations.filter((r) => kept.has(r.subject) && kept.has(r.object)) };
}

/** Rough parse figures from the caption itself; the text filters recompute them with the real parser. */
function textRecord(image_id: string, c: Caption, source: string, score: number | null): TextRecord {
  const words = c.text.toLowerCase().split(/[^a-z]+/);
  return {
    image_id,
    round: 0,
    text_id: textIdOf(image_id, c.granularity),
    granularity: c.granularity,
    text: c.text,
    source,
    score,
    sources: [source],
    objects: c.phrases.length,
    attributes: words.filter((w) => isColour(w) || w === 'small' || w === 'large').length,
    actions: (c.text.match(/\b(overlaps|points to|is stacked on)\b/g) ?? []).length,
    proper_nouns: 0,
    object_complexity: 0,
    action_complexity: 0,
  };
}

export function labelsOf(scene: SceneTruth, noise: NoiseKnobs | null, rng: Rng): Labels {
  const n = noise ?? NO_NOISE;
  const exact = noise === null;
  const src = (s: string) => (exact ? TRUTH_SOURCE : s);
  const score = () => (exact ? null : Math.round(rng.range(0.5, 1) * 1000) / 1000);
  const { image_id, width: W, height: H } = scene;
  const region_text: RegionTextRecord[] = [];
  let k = 0;
  for (const o of scene.objects) {
    if (rng.chance(n.dropObject)) continue;
    const category: Category = rng.chance(n.wrongCategory)
      ? rng.pick(CATEGORIES.filter((c) => c !== o.category))
      : o.category;
    // The region captioner sees colours as unreliably as the image captioner.
    const colour = rng.chance(n.captionWrongColour) ? rng.pick(COLOUR_NAMES.filter((c) => c !== o.colour)) : o.colour;
    const copies = rng.chance(n.duplicateBox) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const s = src(SOURCES.detector);
      region_text.push({
        image_id,
        round: 0,
        region_id: `${image_id}-r${k++}`,
        kind: 'object',
        box: jitter(o.box, n.boxJitter, W, H, rng),
        quad: null,
        phrase: category,
        brief: `a ${o.size} ${colour} ${category}`,
        noun_chunks: [],
        source: s,
        score: score(),
        sources: [s],
      });
    }
  }
  for (const w of scene.words) {
    if (rng.chance(n.dropWord)) continue;
    const s = src(SOURCES.ocr);
    const quad =
      n.boxJitter === 0
        ? [...w.quad]
        : w.quad.map((v, i) => Math.min(i % 2 ? H : W, Math.max(0, v + rng.normal() * 0.5)));
    region_text.push({
      image_id,
      round: 0,
      region_id: `${image_id}-r${k++}`,
      kind: 'text',
      box: quadBox(quad),
      quad: quad as RegionTextRecord['quad'],
      phrase: misread(w.text, n.misreadChar, rng),
      brief: null,
      noun_chunks: [],
      source: s,
      score: score(),
      sources: [s],
    });
  }
  const seen = exact ? scene : perturbScene(scene, n, rng);
  const boxOf = new Map<string, readonly number[]>([
    ...seen.objects.map((o) => [o.object_id, o.box] as const),
    ...scene.words.map((w) => [w.word_id, w.box] as const),
  ]);
  const text: TextRecord[] = [];
  const text_phrase_region: TextPhraseRegionRecord[] = [];
  for (const c of captionsOf(seen)) {
    text.push(textRecord(image_id, c, src(SOURCES.captioner), score()));
    const g = src(SOURCES.grounding);
    for (const p of c.phrases) {
      text_phrase_region.push({
        image_id,
        round: 0,
        text_id: textIdOf(image_id, c.granularity as Granularity),
        granularity: c.granularity,
        phrase: p.phrase,
        span: [p.start, p.end],
        boxes: p.refs.map((r) => jitter(boxOf.get(r)!, n.boxJitter, W, H, rng)),
        source: g,
        score: score(),
        sources: [g],
      });
    }
  }
  return { region_text, text, text_phrase_region };
}

/** Labels for every image of a world: exact (noise null) or noisy with a seed of their own. */
export function worldLabels(
  scenes: SceneTruth[],
  noise: NoiseKnobs | null,
  seed: number,
  make: (seed: number, purpose: string, index: number) => Rng,
): Labels {
  const out: Labels = { region_text: [], text: [], text_phrase_region: [] };
  for (const s of scenes) {
    const l = labelsOf(s, noise, make(seed, 'labels', s.index));
    out.region_text.push(...l.region_text);
    out.text.push(...l.text);
    out.text_phrase_region.push(...l.text_phrase_region);
  }
  return out;
}
