import { basename, resolve } from 'node:path';
import { RoundManifest } from '../../schemas/manifest.ts';
import type { ImageRecord, RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import { QUALITY_VERSION, RoundQuality, type QualitySet } from '../../schemas/round-quality.ts';
import { validate } from '../../schemas/validate.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import { SPECIALIST_STAGES } from '../../pipeline/engine/stages.ts';
import { layout } from '../../pipeline/layout.ts';
import { readManifest } from '../../pipeline/shards/round-files.ts';
import { objectName, readShard } from '../../pipeline/shards/storage-io.ts';
import { readClosedRound } from '../../pipeline/rounds/round-reader.ts';
import type { Storage } from '../../pipeline/storage/storage.ts';
import { readTruth, readWorldInfo } from '../world/truth-store.ts';
import { idMapOf } from './round-rows.ts';
import { scoreAnnotations, type AnnotationRows, type QualityReport } from './score.ts';

/**
 * Quality of a round of a demo-world collection (docs/architecture.md, "The demo's specialists"): the round's rows,
 * read from storage through its manifest, against the world's truth -- box F1 at IoU 0.5, caption
 * object precision / recall / F1 per granularity, grounding accuracy, OCR CER. Pre-existing
 * truth-derived annotations (source `human`: the world's small set of detailed captions, paper
 * section 4.2's LLM-written set) are left out of every figure, with the groundings of those texts.
 * The held-out set is a separate world collection that is never exported for training, annotated by
 * the same rounds (docs/refinement.md).
 */
export const PREEXISTING_TRUTH_SOURCE = 'human';

export interface RoundRef {
  collection: string;
  round: number;
  world: string;
}

const fromTruth = (r: { source: string; sources: readonly string[] }) =>
  r.source === PREEXISTING_TRUTH_SOURCE || r.sources.includes(PREEXISTING_TRUTH_SOURCE);

/** The round's annotation rows without the truth-derived ones; how many were left out. */
export function withoutTruthDerived(rows: Required<AnnotationRows>): {
  rows: Required<AnnotationRows>;
  excluded: number;
} {
  const text = rows.text.filter((t) => !fromTruth(t));
  const kept = new Set(text.map((t) => t.text_id));
  const region_text = rows.region_text.filter((r) => !fromTruth(r));
  const text_phrase_region = rows.text_phrase_region.filter((g) => !fromTruth(g) && kept.has(g.text_id));
  const excluded =
    rows.text.length -
    text.length +
    rows.region_text.length -
    region_text.length +
    rows.text_phrase_region.length -
    text_phrase_region.length;
  return { rows: { text, region_text, text_phrase_region }, excluded };
}

/** Every row of a finished round (its manifest's files) and the image records of its shards. */
export async function readRoundRows(
  storage: Storage,
  collection: string,
  round: number,
): Promise<{ manifest: RoundManifest; rows: Required<AnnotationRows>; images: ImageRecord[] }> {
  const { manifest, files } = await readClosedRound(storage, collection, round);
  const rows: Required<AnnotationRows> = { text: [], region_text: [], text_phrase_region: [] };
  for (const f of files.text) rows.text.push(...((await readShard(storage, f.key, 'text')).rows as TextRecord[]));
  for (const f of files.region_text)
    rows.region_text.push(...((await readShard(storage, f.key, 'region_text')).rows as RegionTextRecord[]));
  for (const f of files.text_phrase_region)
    rows.text_phrase_region.push(
      ...((await readShard(storage, f.key, 'text_phrase_region')).rows as TextPhraseRegionRecord[]),
    );
  const images: ImageRecord[] = [];
  for (const s of manifest.shards)
    images.push(...(await readShard(storage, layout.images(collection, s), 'image')).rows);
  return { manifest, rows, images };
}

/**
 * The same round before the merge and the filters: every specialist's raw rows (the region captioner's
 * descriptions are of the detector's boxes, not boxes of their own, so they are skipped) plus the
 * images' alt-texts as brief texts, which the filtered round also holds. In a refinement round that is
 * the model's raw output alone, not combined with round R-1.
 */
export async function readRawRoundRows(
  storage: Storage,
  collection: string,
  round: number,
): Promise<{ rows: Required<AnnotationRows>; images: ImageRecord[] }> {
  const { manifest, images } = await readRoundRows(storage, collection, round);
  const rows: Required<AnnotationRows> = { text: [], region_text: [], text_phrase_region: [] };
  const specialists = Object.keys((manifest.config.specialists ?? {}) as Record<string, string>);
  for (const d of SPECIALIST_STAGES) {
    if (!specialists.includes(d.specialist) || d.specialist === 'region_caption') continue;
    for (const s of manifest.shards) {
      const key = layout.raw(collection, round, d.specialist, s);
      if (!(await storage.exists(key)))
        throw new Error(
          `quality: ${collection} round ${round} has no raw output of ${d.specialist} for shard ${s} (${key})`,
        );
      (rows[d.produces] as unknown[]).push(...(await readShard(storage, key, d.produces)).rows);
    }
  }
  for (const im of images) {
    if (im.alt_text?.trim())
      rows.text.push({
        image_id: im.image_id,
        round,
        text_id: `${im.image_id}:alt`,
        granularity: 'brief',
        text: im.alt_text,
        source: 'alt_text',
        score: null,
        sources: ['alt_text'],
      } as TextRecord);
  }
  return { rows, images };
}

/** One collection's round against its world: the full report and the summary kept in the manifest. */
export async function scoreRoundSet(
  storage: Storage,
  ref: RoundRef,
  opts: { unfiltered?: boolean } = {},
): Promise<{ report: QualityReport; summary: QualitySet }> {
  const truth = await readTruth(ref.world);
  const { rows, images } = opts.unfiltered
    ? await readRawRoundRows(storage, ref.collection, ref.round)
    : await readRoundRows(storage, ref.collection, ref.round);
  const ids = idMapOf(images, truth.images);
  if (images.length && !ids.size)
    throw new Error(
      `quality: no image of ${ref.collection} is an image of the world ${ref.world} (uris must end in images/NNNNNN.png of that world)`,
    );
  const clean = withoutTruthDerived(rows);
  // the collection's images: a world image the collection does not hold is not held against it
  const scope = [...new Set(ids.values())];
  const report = scoreAnnotations(truth, clean.rows, { scope, imageIdOf: (id) => ids.get(id) });
  let seed: number | null = null;
  try {
    seed = readWorldInfo(ref.world).seed;
  } catch {
    // a world without its info file still has its truth tables
  }
  const cap = (g: 'brief' | 'detailed' | 'more_detailed') => {
    const c = report.captions[g];
    return { captioned: c.captioned, precision: c.precision, recall: c.recall, f1: c.f1 };
  };
  const summary: QualitySet = {
    collection: ref.collection,
    round: ref.round,
    world: { name: basename(resolve(ref.world)), seed },
    images: report.images,
    excluded_rows: clean.excluded,
    boxes: {
      tp: report.boxes.tp,
      fp: report.boxes.fp,
      fn: report.boxes.fn,
      precision: report.boxes.precision,
      recall: report.boxes.recall,
      f1: report.boxes.f1,
    },
    captions: { brief: cap('brief'), detailed: cap('detailed'), more_detailed: cap('more_detailed') },
    grounding: report.grounding,
    region_briefs: report.region_briefs,
    ocr: {
      cer: report.ocr.cer,
      truth_chars: report.ocr.truth_chars,
      edits: report.ocr.edits,
      word_recall: report.ocr.word_recall,
      word_precision: report.ocr.word_precision,
    },
  };
  return { report, summary };
}

/**
 * The round's quality on its own images and, when given, on the held-out collection's same round;
 * with `unfiltered`, also the same round's raw specialist output (what the filters had to work with).
 */
export async function scoreRound(
  storage: Storage,
  annotated: RoundRef,
  heldOut?: RoundRef,
  opts: { unfiltered?: boolean } = {},
): Promise<RoundQuality> {
  const a = await scoreRoundSet(storage, annotated);
  const h = heldOut ? await scoreRoundSet(storage, heldOut) : null;
  const au = opts.unfiltered ? await scoreRoundSet(storage, annotated, { unfiltered: true }) : null;
  const hu = opts.unfiltered && heldOut ? await scoreRoundSet(storage, heldOut, { unfiltered: true }) : null;
  return validate(
    RoundQuality,
    {
      quality_version: QUALITY_VERSION,
      scored_at: new Date().toISOString(),
      annotated: a.summary,
      ...(h ? { held_out: h.summary } : {}),
      ...(au ? { annotated_unfiltered: au.summary } : {}),
      ...(hu ? { held_out_unfiltered: hu.summary } : {}),
    },
    `quality of ${annotated.collection} round ${annotated.round}`,
  );
}

/** The columns of a quality block, in print order. */
export function qualityColumns(q: RoundQuality, round: number): { label: string; set: QualitySet }[] {
  const cols: { label: string; set: QualitySet }[] = [
    { label: `${q.annotated.collection} r${round}`, set: q.annotated },
  ];
  if (q.annotated_unfiltered) cols.push({ label: 'unfiltered', set: q.annotated_unfiltered });
  if (q.held_out) cols.push({ label: `${q.held_out.collection} r${round} (held out)`, set: q.held_out });
  if (q.held_out_unfiltered) cols.push({ label: 'unfiltered', set: q.held_out_unfiltered });
  return cols;
}

/**
 * The manifest again with its `quality` field set (one PUT of the whole manifest; everything else as
 * it was). Scoring again replaces the field.
 */
export async function writeRoundQuality(
  storage: Storage,
  collection: string,
  round: number,
  quality: RoundQuality,
): Promise<string> {
  const m = await readManifest(storage, collection, round);
  const key = layout.manifest(collection, round);
  const next = validate(
    RoundManifest,
    { ...m, schema_version: SCHEMA_VERSION, quality },
    `manifest ${objectName(storage, key)}`,
  );
  await storage.put(key, JSON.stringify(next, null, 2) + '\n', { contentType: 'application/json' });
  return key;
}
