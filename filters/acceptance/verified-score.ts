import type { Figures } from '../../schemas/acceptance.ts';
import type { Box } from '../../schemas/records.ts';
import { iou } from '../merge/refine-policy.ts';
import { groupByImage, normalise } from '../merge/merge-types.ts';

/**
 * Rows scored against a verified set's human-checked labels (the image records' `existing_boxes`
 * and `existing_texts`), per class: boxes per category (one-to-one at IoU 0.5), texts per
 * granularity by the categories they name, groundings by whether their boxes are objects the phrase
 * can mean. Pure; the calibration and the acceptance gates read nothing else.
 */
export interface VerifiedImage {
  image_id: string;
  boxes: readonly { category: string; box: readonly number[] }[];
  texts: readonly { granularity: string; text: string }[];
}

export const verifiedImage = (r: {
  image_id: string;
  existing_boxes: readonly { box: readonly number[]; category: string }[];
  existing_texts: readonly { granularity: string; text: string }[];
}): VerifiedImage => ({
  image_id: r.image_id,
  boxes: r.existing_boxes.map((b) => ({ category: b.category, box: b.box })),
  texts: r.existing_texts,
});

export const categoryKey = (s: string): string => normalise(s).toLowerCase();

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}
const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : 0) : a / b);
export function figures(c: Counts): Figures {
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  // nothing predicted and nothing to find: nothing was got wrong, but nothing is known either
  const f1 = c.tp === 0 ? (c.fp + c.fn === 0 ? 1 : 0) : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

/** The categories of the verified boxes: what a text can be held to naming. */
export function labelSpace(images: readonly VerifiedImage[]): string[] {
  return [...new Set(images.flatMap((i) => i.boxes.map((b) => categoryKey(b.category))))].sort();
}

const PLURALS = (w: string) => [w, `${w}s`, `${w}es`, ...(w.endsWith('y') ? [`${w.slice(0, -1)}ies`] : [])];
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Which categories of `space` a text names (a word or its regular plural; quoted text is writing in the image, not an object). */
export function mentionMatcher(space: readonly string[]): (text: string) => Set<string> {
  const single = new Map<string, string>();
  const multi: [RegExp, string][] = [];
  for (const c of space) {
    if (/\s/.test(c)) {
      const parts = c.split(' ');
      const last = parts.pop()!;
      multi.push([
        new RegExp(`\\b${parts.map(escapeRegExp).join('\\s+')}\\s+(?:${PLURALS(last).map(escapeRegExp).join('|')})\\b`),
        c,
      ]);
    } else for (const p of PLURALS(c)) if (!single.has(p)) single.set(p, c);
  }
  return (text) => {
    const t = text.replace(/"[^"]*"/g, ' ').toLowerCase();
    const out = new Set<string>();
    for (const w of t.split(/[^a-z0-9-]+/)) {
      const c = single.get(w);
      if (c) out.add(c);
    }
    for (const [re, c] of multi) if (re.test(t)) out.add(c);
    return out;
  };
}

/**
 * Greedy one-to-one matching in decreasing score (COCO's rule at one IoU): each prediction takes the
 * unmatched truth it overlaps most at IoU >= `t`. Returns a true-positive flag per prediction, in the
 * order given (which must be decreasing score).
 */
export function matchByScore(
  preds: readonly (readonly number[])[],
  truths: readonly (readonly number[])[],
  t = 0.5,
): boolean[] {
  const used = new Uint8Array(truths.length);
  return preds.map((p) => {
    let best = -1,
      bestIou = t;
    for (let j = 0; j < truths.length; j++) {
      if (used[j]) continue;
      const v = iou(p, truths[j]);
      if (v >= bestIou) {
        best = j;
        bestIou = v;
      }
    }
    if (best < 0) return false;
    used[best] = 1;
    return true;
  });
}

export interface ScoredBox {
  image_id: string;
  category: string;
  box: readonly number[];
  score: number | null;
}

/** Box counts per category over the verified images (rows of other images are ignored). */
export function boxCounts(rows: readonly ScoredBox[], images: readonly VerifiedImage[]): Map<string, Counts> {
  const out = new Map<string, Counts>();
  for (const perImage of boxCountsPerImage(rows, images))
    for (const [c, v] of perImage) {
      const s = out.get(c) ?? { tp: 0, fp: 0, fn: 0 };
      s.tp += v.tp;
      s.fp += v.fp;
      s.fn += v.fn;
      out.set(c, s);
    }
  return out;
}

/** Box counts per category of each verified image, in the order of `images` (what the gates resample). */
export function boxCountsPerImage(rows: readonly ScoredBox[], images: readonly VerifiedImage[]): Map<string, Counts>[] {
  return perImage(rows, images, (preds, im) => {
    const out = new Map<string, Counts>();
    const cats = new Set([
      ...preds.map((p) => categoryKey(p.category)),
      ...im.boxes.map((b) => categoryKey(b.category)),
    ]);
    for (const c of cats) {
      const p = preds.filter((x) => categoryKey(x.category) === c).sort((a, b) => (b.score ?? 1) - (a.score ?? 1));
      const t = im.boxes.filter((b) => categoryKey(b.category) === c).map((b) => b.box);
      const tp = matchByScore(
        p.map((x) => x.box),
        t,
      ).filter(Boolean).length;
      out.set(c, { tp, fp: p.length - tp, fn: t.length - tp });
    }
    return out;
  });
}

export const sumCounts = (cs: Iterable<Counts>): Counts => {
  const s = { tp: 0, fp: 0, fn: 0 };
  for (const c of cs) {
    s.tp += c.tp;
    s.fp += c.fp;
    s.fn += c.fn;
  }
  return s;
};

/**
 * Text figures of one granularity. Precision is over the rows (categories named that the image holds,
 * over categories named). Recall has two readings:
 * - `images` (calibration): over the verified images, the categories an image holds that any of its
 *   texts names, so a dropped text costs recall and a threshold cannot buy precision with coverage;
 * - `rows` (gates): over the rows, what each text names of what its image holds, so a set of texts is
 *   judged by how good its texts are; the gate checks coverage (images with a text) apart.
 * No row at all scores 0: nothing was written.
 */
export interface TextTally {
  rows: number;
  named: number;
  namedTrue: number;
  held: number;
  heldNamed: number;
  rowHeld: number;
  rowHeldNamed: number;
  covered: number;
}
export const textFigures = (t: TextTally, recallOver: 'images' | 'rows' = 'images'): Figures => {
  if (t.rows === 0) return { precision: 0, recall: 0, f1: 0 };
  const precision = ratio(t.namedTrue, t.named);
  const recall = recallOver === 'images' ? ratio(t.heldNamed, t.held) : ratio(t.rowHeldNamed, t.rowHeld);
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
};

export interface ImageText {
  image_id: string;
  text: string;
}

export function textTally(
  rows: readonly ImageText[],
  images: readonly VerifiedImage[],
  mentions: (text: string) => Set<string>,
): TextTally {
  const held = new Map(images.map((im) => [im.image_id, new Set(im.boxes.map((b) => categoryKey(b.category)))]));
  const union = new Map<string, Set<string>>();
  const t: TextTally = {
    rows: 0,
    named: 0,
    namedTrue: 0,
    held: 0,
    heldNamed: 0,
    rowHeld: 0,
    rowHeldNamed: 0,
    covered: 0,
  };
  for (const r of rows) {
    const h = held.get(r.image_id);
    if (!h) continue;
    const m = mentions(r.text);
    t.rows++;
    t.named += m.size;
    for (const c of m) if (h.has(c)) t.namedTrue++;
    t.rowHeld += h.size;
    for (const c of h) if (m.has(c)) t.rowHeldNamed++;
    const u = union.get(r.image_id) ?? new Set<string>();
    for (const c of m) u.add(c);
    union.set(r.image_id, u);
  }
  for (const [id, h] of held) {
    t.held += h.size;
    const u = union.get(id);
    if (u) for (const c of h) if (u.has(c)) t.heldNamed++;
  }
  t.covered = union.size;
  return t;
}

export interface ImageGrounding {
  image_id: string;
  phrase: string;
  boxes: readonly (readonly number[])[];
}

/** Grounding counts of each verified image, in the order of `images`. */
export function groundingCountsPerImage(
  rows: readonly ImageGrounding[],
  images: readonly VerifiedImage[],
  mentions: (text: string) => Set<string>,
): Counts[] {
  return perImage(rows, images, (own, im) => groundingCounts(own, [im], mentions));
}

/** A text tally of each verified image (its rows against that image alone), in the order of `images`. */
export function textTalliesPerImage(
  rows: readonly ImageText[],
  images: readonly VerifiedImage[],
  mentions: (text: string) => Set<string>,
): TextTally[] {
  return perImage(rows, images, (own, im) => textTally(own, [im], mentions));
}

/** `score` of each verified image's own rows, in the order of `images` (what the gates resample). */
function perImage<R extends { image_id: string }, T>(
  rows: readonly R[],
  images: readonly VerifiedImage[],
  score: (own: R[], im: VerifiedImage) => T,
): T[] {
  const byImage = groupByImage(rows);
  return images.map((im) => score(byImage.get(im.image_id) ?? [], im));
}

/**
 * Groundings: a phrase is right when it names a verified category and each of its boxes matches a
 * distinct verified box of that category; precision over phrases, recall over the phrases that name a
 * category the image holds (what could have been grounded right).
 */
export function groundingCounts(
  rows: readonly ImageGrounding[],
  images: readonly VerifiedImage[],
  mentions: (text: string) => Set<string>,
): Counts {
  const byId = new Map(images.map((im) => [im.image_id, im]));
  const c = { tp: 0, fp: 0, fn: 0 };
  for (const r of rows) {
    const im = byId.get(r.image_id);
    if (!im) continue;
    const cats = [...mentions(r.phrase)];
    const truths = im.boxes.filter((b) => cats.includes(categoryKey(b.category))).map((b) => b.box as Box);
    const right = truths.length > 0 && r.boxes.length > 0 && matchByScore(r.boxes, truths).every(Boolean);
    if (right) c.tp++;
    else {
      c.fp++;
      if (truths.length) c.fn++;
    }
  }
  return c;
}
