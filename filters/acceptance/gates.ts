import type { GateDecision, GateKind } from '../../schemas/acceptance.ts';
import type { RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import { pairedAhead, type PairedCounts } from './paired-bootstrap.ts';
import {
  boxCountsPerImage,
  categoryKey,
  figures,
  groundingCountsPerImage,
  sumCounts,
  textFigures,
  textTalliesPerImage,
  labelSpace,
  type Counts,
  type TextTally,
  type VerifiedImage,
} from './verified-score.ts';

/**
 * Acceptance gates (docs/architecture.md, "Calibration and acceptance gates"): for each kind and
 * class, a round's merged rows replace the previous round's only where they score higher on the
 * verified set by `margin`, and still do in at least `confidence` of paired bootstrap resamples of
 * the verified images (paired-bootstrap.ts: a one-box gain on a small set is noise, and taking it
 * made a collection's labels worse as often as better); elsewhere the previous round's rows of that
 * class stay. So on the verified set no class scores lower after a round than before it. A class the
 * verified set cannot judge (no verified instance and no row in either round, or OCR without verified
 * words) keeps the previous rows.
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
const NO_COUNTS: Counts = { tp: 0, fp: 0, fn: 0 };

const countsOf = (c: Counts): number[] => [c.tp, c.fp, c.fn];
const countsF1 = (s: Float64Array): number => figures({ tp: s[0], fp: s[1], fn: s[2] }).f1;
const countsJudged = (a: Float64Array, b: Float64Array): boolean => a[0] + a[1] + a[2] + b[0] + b[1] + b[2] > 0;
const TALLY_FIELDS = ['rows', 'named', 'namedTrue', 'held', 'heldNamed', 'rowHeld', 'rowHeldNamed', 'covered'] as const;
const tallyOf = (t: TextTally): number[] => TALLY_FIELDS.map((f) => t[f]);
// field 0 is `rows`: a draw with no text of the granularity on either side cannot judge it
const tallyJudged = (a: Float64Array, b: Float64Array): boolean => a[0] + b[0] > 0;
const tallyF1 = (s: Float64Array): number =>
  textFigures(Object.fromEntries(TALLY_FIELDS.map((f, i) => [f, s[i]])) as unknown as TextTally, 'rows').f1;

function paired<T>(now: readonly T[], before: readonly T[], fields: (x: T) => number[]): PairedCounts[] {
  return now.map((x, i) => ({ now: fields(x), before: fields(before[i]) }));
}

function sumTallies(ts: readonly TextTally[]): TextTally {
  const s = Object.fromEntries(TALLY_FIELDS.map((f) => [f, 0])) as unknown as TextTally;
  for (const t of ts) for (const f of TALLY_FIELDS) s[f] += t[f];
  return s;
}

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
  confidence: number,
): GateDecision[] {
  const out: GateDecision[] = [];
  // counts per verified image, so the verdict can be resampled; the observed figures are their sums
  const decide = (kind: GateKind, cls: string, now: Counts[], before: Counts[]) => {
    const sum = sumCounts(now);
    const [a, b] = [figures(sum), figures(sumCounts(before))];
    const ahead =
      a.f1 >= b.f1 + margin
        ? pairedAhead(paired(now, before, countsOf), {
            score: countsF1,
            judged: countsJudged,
            margin,
            seed: `${kind}\u0000${cls}`,
          })
        : 0;
    out.push({
      kind,
      class: cls,
      decision: a.f1 >= b.f1 + margin && ahead >= confidence ? 'new' : 'previous',
      new: a,
      previous: b,
      support: sum.tp + sum.fn,
      ahead,
    });
  };

  const cb = boxCountsPerImage(objects(candidate), images);
  const pb = boxCountsPerImage(objects(previous), images);
  const cats = [
    ...new Set([...labelSpace(images), ...cb.flatMap((m) => [...m.keys()]), ...pb.flatMap((m) => [...m.keys()])]),
  ].sort();
  for (const c of cats) {
    const now = cb.map((m) => m.get(c) ?? NO_COUNTS);
    const before = pb.map((m) => m.get(c) ?? NO_COUNTS);
    const [sn, sb] = [sumCounts(now), sumCounts(before)];
    // neither round wrote a box of the class: nothing to decide (the class has no rows either way)
    if (sn.tp + sn.fp + sb.tp + sb.fp === 0) continue;
    decide('boxes', c, now, before);
  }
  // texts are judged by how good they are (recall per text), and may not cover fewer images: a round
  // that adds worse captions beside good ones, or writes good ones for fewer images, keeps the previous
  for (const g of GRANULARITIES) {
    const now = textTalliesPerImage(
      candidate.text.filter((t) => t.granularity === g),
      images,
      mentions,
    );
    const before = textTalliesPerImage(
      previous.text.filter((t) => t.granularity === g),
      images,
      mentions,
    );
    const [tn, tb] = [sumTallies(now), sumTallies(before)];
    if (tn.rows + tb.rows === 0) continue;
    const [fn, fb] = [textFigures(tn, 'rows'), textFigures(tb, 'rows')];
    const better = fn.f1 >= fb.f1 + margin && tn.covered >= tb.covered;
    const ahead = better
      ? pairedAhead(paired(now, before, tallyOf), {
          score: tallyF1,
          judged: tallyJudged,
          margin,
          seed: `texts\u0000${g}`,
        })
      : 0;
    out.push({
      kind: 'texts',
      class: g,
      decision: better && ahead >= confidence ? 'new' : 'previous',
      new: fn,
      previous: fb,
      support: tn.rowHeld,
      coverage: { new: tn.covered, previous: tb.covered },
      ahead,
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
    const now = groundingCountsPerImage(of(candidate), images, mentions);
    const before = groundingCountsPerImage(of(previous), images, mentions);
    const [sn, sb] = [sumCounts(now), sumCounts(before)];
    if (sn.tp + sn.fp + sb.tp + sb.fp === 0) continue;
    decide('groundings', g, now, before);
  }
  return out;
}
