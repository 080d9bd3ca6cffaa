import type { Figures, GateDecision, GateKind } from '../../schemas/acceptance.ts';
import type { RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import {
  boxCounts,
  categoryKey,
  figures,
  groundingCounts,
  labelSpace,
  textFigures,
  textTally,
  type VerifiedImage,
} from './verified-score.ts';

/**
 * Acceptance gates (docs/architecture.md, "Calibration and acceptance gates"): for each kind and
 * class, a round's merged rows replace the previous round's only where they score higher on the
 * verified set by `margin`; elsewhere the previous round's rows of that class stay. So on the verified
 * set no class scores lower after a round than before it. A class the verified set cannot judge (no
 * verified instance and no row in either round, or OCR without verified words) keeps the previous rows.
 */
export interface Rows {
  text: TextRecord[];
  region_text: RegionTextRecord[];
  text_phrase_region: TextPhraseRegionRecord[];
}

export type Choice = 'new' | 'previous';
export type GateLookup = (kind: GateKind, cls: string) => Choice;

export const OCR_CLASS = 'all';

export function gateLookup(decisions: readonly GateDecision[]): GateLookup {
  const m = new Map(decisions.map((d) => [`${d.kind}\u0000${d.class}`, d.decision]));
  return (kind, cls) => m.get(`${kind}\u0000${cls}`) ?? 'previous';
}

/** One image's (or many images') rows under the gates: per class, the new rows or the previous round's, renumbered as round `round`. */
export function applyGates(candidate: Rows, previous: Rows, gate: GateLookup, round: number): Rows {
  const pick = <T>(kind: GateKind, cls: (r: T) => string, cand: readonly T[], prev: readonly T[]) => [
    ...cand.filter((r) => gate(kind, cls(r)) === 'new'),
    ...prev.filter((r) => gate(kind, cls(r)) === 'previous'),
  ];
  const regionClass = (r: RegionTextRecord) => (r.kind === 'object' ? categoryKey(r.phrase) : OCR_CLASS);
  const regionKind = (r: RegionTextRecord): GateKind => (r.kind === 'object' ? 'boxes' : 'ocr');
  const regions = [
    ...candidate.region_text.filter((r) => gate(regionKind(r), regionClass(r)) === 'new'),
    ...previous.region_text.filter((r) => gate(regionKind(r), regionClass(r)) === 'previous'),
  ];
  const text = pick<TextRecord>('texts', (t) => t.granularity, candidate.text, previous.text);
  const groundings = groundingsOfStandingTexts(text, candidate, previous, gate);
  // region ids are per image and positional: number the chosen rows again
  const n = new Map<string, number>();
  const region_text = regions.map((r) => {
    const k = n.get(r.image_id) ?? 0;
    n.set(r.image_id, k + 1);
    return { ...r, round, region_id: `${r.image_id}:r:${k}` };
  });
  return {
    text: text.map((t) => ({ ...t, round })),
    region_text,
    text_phrase_region: groundings.map((g) => ({ ...g, round })),
  };
}

const textIds = (rows: Rows): Set<string> => new Set(rows.text.map((t) => t.text_id));

/**
 * A grounding belongs to its text: a standing text that only one round wrote keeps that round's
 * groundings whatever the grounding gate says (the other round has none of it to offer, and "keep the
 * previous" would leave an accepted text bare). Only a text both rounds hold gets the gate's choice.
 */
function groundingsOfStandingTexts(
  standing: readonly TextRecord[],
  candidate: Rows,
  previous: Rows,
  gate: GateLookup,
): TextPhraseRegionRecord[] {
  const inCandidate = textIds(candidate);
  const inPrevious = textIds(previous);
  const ids = new Set(standing.map((t) => t.text_id));
  const from = (id: string, granularity: string): 'new' | 'previous' => {
    if (inCandidate.has(id) && inPrevious.has(id)) return gate('groundings', granularity);
    return inCandidate.has(id) ? 'new' : 'previous';
  };
  return [
    ...candidate.text_phrase_region.filter((g) => ids.has(g.text_id) && from(g.text_id, g.granularity) === 'new'),
    ...previous.text_phrase_region.filter((g) => ids.has(g.text_id) && from(g.text_id, g.granularity) === 'previous'),
  ];
}

const objects = (rows: Rows) =>
  rows.region_text
    .filter((r) => r.kind === 'object')
    .map((r) => ({ image_id: r.image_id, category: r.phrase, box: r.box, score: r.score }));
const GRANULARITIES = ['brief', 'detailed', 'more_detailed'];

/**
 * The gates of one round from the verified set's candidate rows (this round's merge, calibrated) and
 * its previous round's accepted rows. Groundings are judged after the texts' decisions, on the
 * standing texts both rounds hold.
 */
export function decideGates(
  candidate: Rows,
  previous: Rows,
  images: readonly VerifiedImage[],
  mentions: (text: string) => Set<string>,
  margin: number,
): GateDecision[] {
  const out: GateDecision[] = [];
  const decide = (kind: GateKind, cls: string, now: Figures, before: Figures, support: number) =>
    out.push({
      kind,
      class: cls,
      decision: now.f1 >= before.f1 + margin ? 'new' : 'previous',
      new: now,
      previous: before,
      support,
    });

  const cb = boxCounts(objects(candidate), images);
  const pb = boxCounts(objects(previous), images);
  const cats = [...new Set([...labelSpace(images), ...cb.keys(), ...pb.keys()])].sort();
  for (const c of cats) {
    const now = cb.get(c) ?? { tp: 0, fp: 0, fn: 0 };
    const before = pb.get(c) ?? { tp: 0, fp: 0, fn: 0 };
    // neither round wrote a box of the class: nothing to decide (the class has no rows either way)
    if (now.tp + now.fp + before.tp + before.fp === 0) continue;
    decide('boxes', c, figures(now), figures(before), now.tp + now.fn);
  }
  // texts are judged by how good they are (recall per text), and may not cover fewer images: a round
  // that adds worse captions beside good ones, or writes good ones for fewer images, keeps the previous
  for (const g of GRANULARITIES) {
    const now = textTally(
      candidate.text.filter((t) => t.granularity === g),
      images,
      mentions,
    );
    const before = textTally(
      previous.text.filter((t) => t.granularity === g),
      images,
      mentions,
    );
    if (now.rows + before.rows === 0) continue;
    const [fn, fb] = [textFigures(now, 'rows'), textFigures(before, 'rows')];
    out.push({
      kind: 'texts',
      class: g,
      decision: fn.f1 >= fb.f1 + margin && now.covered >= before.covered ? 'new' : 'previous',
      new: fn,
      previous: fb,
      support: now.rowHeld,
      coverage: { new: now.covered, previous: before.covered },
    });
  }
  // groundings of the texts that stand after the text gates and that both rounds hold: a text only
  // one round wrote takes that round's groundings (groundingsOfStandingTexts), nothing to decide
  const partial = gateLookup(out);
  const texts = applyGates(
    { ...candidate, text_phrase_region: [] },
    { ...previous, text_phrase_region: [] },
    partial,
    0,
  ).text;
  const inPrevious = textIds(previous);
  const inCandidate = textIds(candidate);
  const ids = new Set(texts.map((t) => t.text_id).filter((id) => inPrevious.has(id) && inCandidate.has(id)));
  for (const g of GRANULARITIES) {
    const of = (rows: Rows) => rows.text_phrase_region.filter((x) => x.granularity === g && ids.has(x.text_id));
    const now = groundingCounts(of(candidate), images, mentions);
    const before = groundingCounts(of(previous), images, mentions);
    if (now.tp + now.fp + before.tp + before.fp === 0) continue;
    decide('groundings', g, figures(now), figures(before), now.tp + now.fn);
  }
  return out;
}
