import type { Granularity, RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import type { Truth, TruthObject, TruthWord } from '../world/truth.ts';
import { isColour, type Category } from '../world/vocab.ts';
import { matchBoxes } from './match.ts';
import { categoryOfPhrase, mentionsOf } from './mentions.ts';
import { addOcrCounts, emptyOcrCounts, ocrCounts, ocrScore, type OcrScore } from './ocr-score.ts';

export interface AnnotationRows {
  region_text?: RegionTextRecord[];
  text?: TextRecord[];
  text_phrase_region?: TextPhraseRegionRecord[];
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}
export interface CaptionScore {
  /** Images in scope that have a caption of this granularity. */
  captioned: number;
  precision: number;
  recall: number;
  /** Harmonic mean of the object precision and recall. */
  f1: number;
  /** Colour + category pairs named that are in the image, over those named. */
  colour_precision: number;
  colour_recall: number;
}
export interface QualityReport {
  images: number;
  /** Rows not counted: their image is not in the truth, or not in the scope. */
  ignored_rows: number;
  boxes: Counts & { per_category: Record<string, Counts> };
  captions: Record<Granularity, CaptionScore>;
  grounding: GroundingScore & { by_granularity: Record<Granularity, GroundingScore> };
  /** Region descriptions (`brief` of object regions) on boxes that match a true object. */
  region_briefs: RegionBriefScore;
  ocr: OcrScore;
}
export interface GroundingScore {
  phrases: number;
  correct: number;
  accuracy: number;
}
export interface RegionBriefScore {
  /** Object regions with a description whose box matches a true object at IoU 0.5. */
  described: number;
  /** Those whose description names the object's category, and its colour when it names a colour. */
  correct: number;
  accuracy: number;
}

const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : 0) : a / b);
const f1Of = (precision: number, recall: number) =>
  precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
function counts(tp: number, fp: number, fn: number): Counts {
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return { tp, fp, fn, precision, recall, f1: f1Of(precision, recall) };
}

function group<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(r);
  }
  return m;
}

/**
 * Scores annotation rows against the truth over `scope` (truth image ids; default every image in the
 * truth). Rows whose image_id differs from the truth's (the engine hashes URIs) are mapped through
 * `imageIdOf` (row image_id -> truth image_id); rows outside the scope are ignored.
 */
export function scoreAnnotations(
  truth: Truth,
  rows: AnnotationRows,
  opts: { scope?: readonly string[]; imageIdOf?: (rowImageId: string) => string | undefined } = {},
): QualityReport {
  const scope = new Set(opts.scope ?? truth.images.map((i) => i.image_id));
  const mapId = opts.imageIdOf ?? ((id: string) => id);
  let ignored = 0;
  const inScope = <T extends { image_id: string }>(list: readonly T[] | undefined): (T & { tid: string })[] =>
    (list ?? []).flatMap((r) => {
      const tid = mapId(r.image_id);
      if (tid !== undefined && scope.has(tid)) return [{ ...r, tid }];
      ignored++;
      return [];
    });
  const objects = group(
    truth.objects.filter((o) => scope.has(o.image_id)),
    (o) => o.image_id,
  );
  const words = group(
    truth.words.filter((w) => scope.has(w.image_id)),
    (w) => w.image_id,
  );
  const regions = inScope(rows.region_text);

  // Boxes: per image and category, one-to-one at IoU 0.5.
  const perCat = new Map<string, [number, number, number]>();
  const bump = (c: string, i: 0 | 1 | 2, n: number) => {
    const v = perCat.get(c) ?? [0, 0, 0];
    v[i] += n;
    perCat.set(c, v);
  };
  const predObjects = group(
    regions.filter((r) => r.kind === 'object'),
    (r) => r.tid,
  );
  for (const id of scope) {
    const preds = group(predObjects.get(id) ?? [], (r) => categoryOfPhrase(r.phrase) ?? `unknown:${r.phrase}`);
    const trues = group(objects.get(id) ?? [], (o) => o.category);
    for (const c of new Set([...preds.keys(), ...trues.keys()])) {
      const p = preds.get(c) ?? [];
      const t = trues.get(c) ?? [];
      const m = matchBoxes(
        p.map((r) => r.box),
        t.map((o) => o.box),
      ).length;
      bump(c, 0, m);
      bump(c, 1, p.length - m);
      bump(c, 2, t.length - m);
    }
  }
  const total = [...perCat.values()].reduce((a, v) => [a[0] + v[0], a[1] + v[1], a[2] + v[2]], [0, 0, 0]);
  const per_category = Object.fromEntries([...perCat.entries()].sort().map(([c, v]) => [c, counts(v[0], v[1], v[2])]));

  // Captions: what each caption names against what the image holds.
  const captions = {} as Record<Granularity, CaptionScore>;
  const texts = inScope(rows.text);
  for (const g of ['brief', 'detailed', 'more_detailed'] as const) {
    const rowsG = texts.filter((t) => t.granularity === g);
    let named = 0,
      namedTrue = 0,
      held = 0,
      heldNamed = 0,
      pn = 0,
      pnTrue = 0,
      ph = 0,
      phNamed = 0;
    for (const r of rowsG) {
      const objs = objects.get(r.tid) ?? [];
      const m = mentionsOf(r.text);
      const cats = new Set<Category>(objs.map((o) => o.category));
      const pairs = new Set(objs.map((o) => `${o.colour} ${o.category}`));
      named += m.categories.size;
      namedTrue += [...m.categories].filter((c) => cats.has(c)).length;
      held += cats.size;
      heldNamed += [...cats].filter((c) => m.categories.has(c)).length;
      pn += m.pairs.size;
      pnTrue += [...m.pairs].filter((p) => pairs.has(p)).length;
      ph += pairs.size;
      phNamed += [...pairs].filter((p) => m.pairs.has(p)).length;
    }
    captions[g] = {
      captioned: new Set(rowsG.map((r) => r.tid)).size,
      precision: ratio(namedTrue, named),
      recall: ratio(heldNamed, held),
      f1: f1Of(ratio(namedTrue, named), ratio(heldNamed, held)),
      colour_precision: ratio(pnTrue, pn),
      colour_recall: ratio(phNamed, ph),
    };
  }

  // Grounding: every box of a phrase must match a distinct object the phrase can mean; per granularity
  // too, so a round that adds groundings of new detailed texts is not read as worse brief groundings.
  let phrases = 0;
  let correct = 0;
  const perG: Record<Granularity, [number, number]> = { brief: [0, 0], detailed: [0, 0], more_detailed: [0, 0] };
  for (const r of inScope(rows.text_phrase_region)) {
    phrases++;
    const candidates = phraseCandidates(r.phrase, objects.get(r.tid) ?? [], words.get(r.tid) ?? []);
    const right = candidates.length > 0 && matchBoxes(r.boxes, candidates).length === r.boxes.length;
    if (right) correct++;
    const g = perG[r.granularity];
    if (g) {
      g[0]++;
      if (right) g[1]++;
    }
  }
  const by_granularity = Object.fromEntries(
    Object.entries(perG).map(([g, [n, c]]) => [g, { phrases: n, correct: c, accuracy: ratio(c, n) }]),
  ) as Record<Granularity, GroundingScore>;

  // Region descriptions: judged on the true object their box matches, so a wrong box is the box
  // score's error, not the description's.
  let described = 0;
  let describedRight = 0;
  for (const id of scope) {
    const withBrief = (predObjects.get(id) ?? []).filter((r) => r.brief?.trim());
    const trues = objects.get(id) ?? [];
    for (const [p, t] of matchBoxes(
      withBrief.map((r) => r.box),
      trues.map((o) => o.box),
    )) {
      described++;
      if (describesObject(withBrief[p].brief!, trues[t])) describedRight++;
    }
  }

  // OCR: read regions against true words at line level (see ocrCounts).
  let ocr = emptyOcrCounts();
  const predText = group(
    regions.filter((r) => r.kind === 'text'),
    (r) => r.tid,
  );
  for (const id of scope) {
    const p = (predText.get(id) ?? []).map((r) => ({ box: r.box, text: r.phrase }));
    ocr = addOcrCounts(ocr, ocrCounts(p, words.get(id) ?? []));
  }

  return {
    images: scope.size,
    ignored_rows: ignored,
    boxes: { ...counts(total[0], total[1], total[2]), per_category },
    captions,
    grounding: { phrases, correct, accuracy: ratio(correct, phrases), by_granularity },
    region_briefs: { described, correct: describedRight, accuracy: ratio(describedRight, described) },
    ocr: ocrScore(ocr),
  };
}

/** A region description is right when it names the object's category, and its colour if it names any colour. */
export function describesObject(brief: string, o: TruthObject): boolean {
  const m = mentionsOf(brief);
  if (!m.categories.has(o.category)) return false;
  const colours = brief
    .replace(/"[^"]*"/g, ' ')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((t) => isColour(t));
  return colours.length === 0 || colours.includes(o.colour);
}

/** The true boxes a phrase can refer to: written words for a quoted text, else objects of its category (and colour, size). */
function phraseCandidates(phrase: string, objects: TruthObject[], words: TruthWord[]): number[][] {
  const quoted = /"([^"]*)"/.exec(phrase);
  if (quoted) return words.filter((w) => w.text === quoted[1]).map((w) => w.box);
  const category = categoryOfPhrase(phrase);
  if (!category) return [];
  const tokens = phrase.toLowerCase().split(/[^a-z]+/);
  const colour = tokens.find((t) => isColour(t));
  const size = tokens.find((t) => t === 'small' || t === 'large');
  return objects
    .filter((o) => o.category === category && (!colour || o.colour === colour) && (!size || o.size === size))
    .map((o) => o.box);
}
