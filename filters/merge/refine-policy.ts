import type { RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import type { RefinePolicy } from '../../schemas/refine-config.ts';
import { boxArrays } from '../boxes/arrays.ts';
import { nms } from '../boxes/nms.ts';
import {
  ALT_TEXT_SOURCE,
  groundingsWithText,
  HUMAN_SOURCE,
  normalise,
  textKey,
  type MergeInput,
  type RawGrounding,
  type RawRegion,
  type RawText,
} from './merge-types.ts';

/**
 * Refinement round R >= 1 (paper section 4.2, "iterative data refinement"): one image's new raw
 * predictions and its round R-1 rows -> the raw inputs of the merge, per kind under
 * `refine.policy` (schemas/refine-config.ts, docs/refinement.md). The round's filters then run on
 * the result as in round 0, so what round R-1 kept is filtered again with the new rows.
 *
 * Pre-existing annotations (human boxes and texts, alt-text) enter every round from the image record,
 * so round R-1 rows that came from them are not carried over (they would be counted twice).
 * Provenance: a carried row keeps its own `source`; a new row that a previous one agrees with lists
 * both in `sources`. Pure and deterministic: same inputs, same output order.
 */
export interface PreviousRows {
  text: readonly TextRecord[];
  region_text: readonly RegionTextRecord[];
  text_phrase_region: readonly TextPhraseRegionRecord[];
}

export interface RefineInputs {
  texts: RawText[];
  regions: RawRegion[];
  groundings: RawGrounding[];
  /** How the merge combines object boxes this round (`union-nms` / `union-fusion` set it), else the filter config's. */
  boxes?: 'nms' | 'fusion';
  /** What each policy did, for the merge's stats: carried / dropped round R-1 items, agreements. */
  counts: Record<string, number>;
}

export interface RefineOptions {
  policy: RefinePolicy;
  agreeIou: number;
  /** IoU above which one of two overlapping OCR regions is suppressed (`union-nms`): the box rules' `nmsIou`. */
  nmsIou: number;
}

const PREEXISTING = new Set([HUMAN_SOURCE, ALT_TEXT_SOURCE]);
const fromPreexisting = (sources: readonly string[]) => sources.some((s) => PREEXISTING.has(s));
const label = (s: string) => normalise(s).toLowerCase();

export function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * One-to-one agreement between new and previous items: pairs with the same label at IoU >= t, best
 * IoU first (ties: lower new index, then lower previous index). Returns previous index -> new index.
 */
function agreeing(
  fresh: readonly { box: readonly number[]; label: string }[],
  prev: readonly { box: readonly number[]; label: string }[],
  t: number,
): Map<number, number> {
  const pairs: [number, number, number][] = [];
  fresh.forEach((f, i) =>
    prev.forEach((p, j) => {
      if (f.label !== p.label) return;
      const v = iou(f.box, p.box);
      if (v >= t) pairs.push([v, i, j]);
    }),
  );
  pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
  const usedNew = new Set<number>();
  const out = new Map<number, number>();
  for (const [, i, j] of pairs) {
    if (usedNew.has(i) || out.has(j)) continue;
    usedNew.add(i);
    out.set(j, i);
  }
  return out;
}

const sourcesOf = (r: { source: string; sources?: readonly string[] }) => r.sources ?? [r.source];
const withSources = <T extends { source: string; sources?: readonly string[] }>(r: T, more: readonly string[]): T => ({
  ...r,
  sources: [...new Set([...sourcesOf(r), ...more])].sort(),
});

function previousRegion(r: RegionTextRecord): RawRegion {
  return {
    source: r.source,
    sources: r.sources,
    kind: r.kind,
    box: r.box,
    quad: r.quad,
    phrase: r.phrase,
    brief: r.brief,
    score: r.score,
  };
}

/** Texts: `union` carries round R-1's texts (each source of a fused row listed again), `replace` does not. */
function combineTexts(
  fresh: readonly RawText[],
  prev: readonly TextRecord[],
  policy: RefinePolicy['text'],
  counts: Record<string, number>,
): RawText[] {
  const out = [...fresh];
  const carried = prev.filter((t) => !fromPreexisting(t.sources) && !PREEXISTING.has(t.source));
  if (policy === 'union') {
    // the lead source first: the merge keeps the first of equal scores as the row's source
    for (const t of carried)
      for (const s of [t.source, ...t.sources.filter((s) => s !== t.source)])
        out.push({ source: s, granularity: t.granularity, text: t.text, score: t.score });
    counts.text_carried = carried.length;
  } else counts.text_replaced = carried.length;
  return out;
}

/** Object boxes or OCR regions of one image under a box policy. */
function combineBoxes(
  kind: 'object' | 'text',
  fresh: readonly RawRegion[],
  prev: readonly RawRegion[],
  policy: RefinePolicy['region_text'],
  o: RefineOptions,
  counts: Record<string, number>,
): RawRegion[] {
  const name = kind === 'object' ? 'region' : 'ocr';
  if (policy === 'replace') {
    counts[`${name}_replaced`] = prev.length;
    return [...fresh];
  }
  if (policy === 'keep-if-agree') {
    if (fresh.length === 0) {
      // The round wrote nothing of the kind for this image (its task did not run, or the model was
      // silent): nothing disagrees, so round R-1's items are carried for the filters to judge again.
      // Dropping them instead emptied whole rounds whose model had not learned the task.
      counts[`${name}_carried_silent`] = prev.length;
      return [...prev];
    }
    // OCR regions agree on place alone: the two rounds may read the same word differently
    const key = (r: RawRegion) => ({ box: r.box, label: kind === 'object' ? label(r.phrase) : '' });
    const match = agreeing(fresh.map(key), prev.map(key), o.agreeIou);
    const out = fresh.map((r) => ({ ...r }));
    for (const [j, i] of match) {
      const p = prev[j],
        f = out[i];
      // an agreeing pair is one box: objects averaged by score (two looks at the same thing), OCR keeps the new quad.
      // Both passed their own source's filters, so the pair keeps the higher score: the lower one of
      // another source's scale would fall under a threshold and take the confirmed box with it.
      const merged = kind === 'object' ? averageBox(f, p) : f.box;
      const score = f.score === null || p.score === null ? (f.score ?? p.score) : Math.max(f.score, p.score);
      out[i] = withSources({ ...f, box: merged, score, brief: f.brief ?? p.brief ?? null }, sourcesOf(p));
    }
    counts[`${name}_agreed`] = match.size;
    counts[`${name}_dropped_unconfirmed`] = prev.length - match.size;
    return out;
  }
  counts[`${name}_carried`] = prev.length;
  if (kind === 'object') return [...fresh, ...prev]; // the merge's NMS or fusion combines them (RefineInputs.boxes)
  // OCR regions have no cross-source combine in the merge: class-agnostic NMS here (`union-fusion` too:
  // averaging two quads that read different text makes neither right); ties keep the new region
  const all = [...fresh, ...prev];
  const kept = nms(boxArrays(all.map((r) => ({ box: r.box, score: r.score ?? 1 }))), o.nmsIou);
  const set = new Set(kept);
  counts.ocr_suppressed = all.length - set.size;
  return all.filter((_, i) => set.has(i));
}

function averageBox(a: RawRegion, b: RawRegion): number[] {
  let wa = a.score ?? 1,
    wb = b.score ?? 1;
  if (!(wa + wb > 0)) wa = wb = 1;
  return [0, 1, 2, 3].map((k) => (a.box[k] * wa + b.box[k] * wb) / (wa + wb));
}

/** Groundings: a previous one is carried only when its text is still a candidate of this round. */
function combineGroundings(
  fresh: readonly RawGrounding[],
  prev: readonly RawGrounding[],
  textKeys: ReadonlySet<string>,
  policy: RefinePolicy['text_phrase_region'],
  agreeIou: number,
  counts: Record<string, number>,
): RawGrounding[] {
  if (policy === 'replace') {
    counts.grounding_replaced = prev.length;
    return [...fresh];
  }
  const phraseKey = (g: RawGrounding) => `${textKey(g.granularity, g.text)}\u0000${label(g.phrase)}`;
  const freshAt = new Map<string, number>();
  fresh.forEach((g, i) => {
    if (!freshAt.has(phraseKey(g))) freshAt.set(phraseKey(g), i);
  });
  const out = fresh.map((g) => ({ ...g }));
  let carried = 0,
    agreed = 0,
    dropped = 0;
  for (const p of prev) {
    if (!textKeys.has(textKey(p.granularity, p.text))) {
      dropped++;
      continue;
    }
    const i = freshAt.get(phraseKey(p));
    if (i === undefined) {
      // the new round did not ground this phrase of the text: union keeps it, keep-if-agree has nothing to agree with
      if (policy === 'union') {
        out.push(p);
        carried++;
      } else dropped++;
      continue;
    }
    const agrees = out[i].boxes.some((b) => p.boxes.some((q) => iou(b, q) >= agreeIou));
    // both rounds grounded the phrase: the new boxes stand, naming the previous source when they agree
    if (policy === 'union' || agrees) out[i] = withSources(out[i], sourcesOf(p));
    if (agrees) agreed++;
    else dropped++;
  }
  counts.grounding_carried = carried;
  counts.grounding_agreed = agreed;
  counts.grounding_dropped = dropped;
  return out;
}

/**
 * The merge inputs of one image in a refinement round. `fresh` are the round's raw predictions,
 * `previous` the image's round R-1 rows.
 */
export function combineWithPrevious(
  image: MergeInput['image'],
  altTextGranularity: string,
  fresh: Pick<MergeInput, 'texts' | 'regions' | 'groundings'>,
  previous: PreviousRows,
  o: RefineOptions,
): RefineInputs {
  const counts: Record<string, number> = {};
  const texts = combineTexts(fresh.texts, previous.text, o.policy.text, counts);
  const prevRegions = previous.region_text
    .filter((r) => !fromPreexisting(r.sources) && !PREEXISTING.has(r.source))
    .map(previousRegion);
  const regions = [
    ...combineBoxes(
      'object',
      fresh.regions.filter((r) => r.kind === 'object'),
      prevRegions.filter((r) => r.kind === 'object'),
      o.policy.region_text,
      o,
      counts,
    ),
    ...combineBoxes(
      'text',
      fresh.regions.filter((r) => r.kind === 'text'),
      prevRegions.filter((r) => r.kind === 'text'),
      o.policy.ocr_region,
      o,
      counts,
    ),
  ];
  // a previous grounding needs the text it grounds: its round R-1 text row
  const prevText = new Map(previous.text.map((t) => [t.text_id, t]));
  const prevGroundings = groundingsWithText(previous.text_phrase_region, prevText);
  const textKeys = new Set(texts.map((t) => textKey(t.granularity, t.text)));
  if (image.alt_text?.trim()) textKeys.add(textKey(altTextGranularity, image.alt_text));
  for (const t of image.existing_texts) textKeys.add(textKey(t.granularity, t.text));
  const groundings = combineGroundings(
    fresh.groundings,
    prevGroundings,
    textKeys,
    o.policy.text_phrase_region,
    o.agreeIou,
    counts,
  );
  const boxes =
    o.policy.region_text === 'union-nms' ? 'nms' : o.policy.region_text === 'union-fusion' ? 'fusion' : undefined;
  return { texts, regions, groundings, ...(boxes ? { boxes } : {}), counts };
}
