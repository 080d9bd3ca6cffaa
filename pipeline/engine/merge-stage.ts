import { filterConfig, type FilterConfig } from '../../filters/filter-config.ts';
import { applyGates, gateLookup, type Rows } from '../../filters/acceptance/gates.ts';
import {
  groundingsWithText,
  groupByImage,
  mergeImage,
  PASS_ALL,
  type RawGrounding,
  type RawRegion,
  type RawText,
  type Thresholds,
} from '../../filters/merge/merge.ts';
import { prefilterNew } from '../../filters/merge/prefilter.ts';
import type { Acceptance } from '../../schemas/acceptance.ts';
import { combineWithPrevious, type PreviousRows } from '../../filters/merge/refine-policy.ts';
import { addStats, type FilterStats } from '../../filters/filter-stats.ts';
import type { StepStats } from '../../schemas/done-marker.ts';
import type { ErrorRecord, RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import { layout } from '../layout.ts';
import { readDoneMarker } from '../shards/round-files.ts';
import { readShard, writeShard } from '../shards/storage-io.ts';
import { calibrate, decideAcceptance, readAcceptance, thresholdsOf, writeAcceptance } from './round-acceptance.ts';
import { rawErrorsName, readImageShard } from './annotate-stage.ts';
import { listImageShards } from './plan-files.ts';
import {
  annotateStage,
  markerFile,
  mergeNode,
  shardMarker,
  specialistDef,
  type SpecialistStageDef,
  type Stage,
  type StageContext,
  type StageWork,
} from './stages.ts';

/**
 * A region_text stage fed by another region_text stage (the region captioner over the detector's
 * boxes) describes those regions: its rows are briefs for the upstream rows, not boxes of their own,
 * or every box would be merged twice.
 */
const describesRegions = (d: SpecialistStageDef) =>
  d.produces === 'region_text' && d.needs.some((n) => specialistDef(n).produces === 'region_text');

/** Raw rows of one image, gathered from every specialist of the round. */
interface ImageInputs {
  texts: RawText[];
  regions: RawRegion[];
  groundings: RawGrounding[];
}

/**
 * Round `previous`'s rows of this shard, by image: what a refinement round combines its predictions
 * with. The previous round's merge must be done on the shard (its marker is written after its files).
 */
async function readPreviousRows(
  ctx: StageContext,
  previous: number,
): Promise<{ [K in keyof PreviousRows]: Map<string, PreviousRows[K][number][]> }> {
  const { storage, collection: c, shard } = ctx;
  if (!(await readDoneMarker(storage, c, previous, 'merge', shard))) {
    throw new Error(
      `merge shard ${shard} of round ${ctx.round}: round ${previous} has no merge done marker for this shard; refine needs round ${previous} finished first`,
    );
  }
  return {
    text: groupByImage((await readShard(storage, layout.kind(c, previous, 'text', shard), 'text')).rows),
    region_text: groupByImage(
      (await readShard(storage, layout.kind(c, previous, 'region_text', shard), 'region_text')).rows,
    ),
    text_phrase_region: groupByImage(
      (await readShard(storage, layout.kind(c, previous, 'text_phrase_region', shard), 'text_phrase_region')).rows,
    ),
  };
}

/**
 * `merge`: the shard's image records (with their pre-existing annotations) and the raw output of every
 * specialist of the round -> filters/merge per image -> the round's text, region_text and
 * text_phrase_region shards, the errors shard (the specialists' per-image errors, images the source
 * marked bad, and any image the merge itself could not handle); the executor then writes the done
 * marker with the filter stats, so a marker means all four files are complete.
 * In a refinement round (plan.refine) each image's predictions are first combined with its round R-1
 * rows under the plan's policy (filters/merge/refine-policy.ts); the marker counts what that did
 * (`refine_*`).
 */
export function makeMergeStage(defs: readonly SpecialistStageDef[]): Stage {
  const node = mergeNode(defs);
  return {
    ...node,
    marker: shardMarker(node.name),
    async work(ctx: StageContext): Promise<StageWork> {
      const { storage, collection: c, round: r, shard } = ctx;
      const refine = ctx.plan.refine;
      let config: FilterConfig = filterConfig(ctx.plan.filters);
      const images = await readImageShard(ctx);
      const previous = refine ? await readPreviousRows(ctx, refine.previous) : null;
      // union-nms / union-fusion decide how this round combines object boxes across the two rounds
      if (refine?.policy.region_text === 'union-nms') config = { ...config, merge: { ...config.merge, boxes: 'nms' } };
      if (refine?.policy.region_text === 'union-fusion')
        config = { ...config, merge: { ...config.merge, boxes: 'fusion' } };
      const refineCounts: Record<string, number> = {};
      const errors: ErrorRecord[] = [];
      const texts: TextRecord[] = [];
      const regions: RegionTextRecord[] = [];
      const groundings: TextPhraseRegionRecord[] = [];
      // region briefs (the region captioner's rows) by the detector region they describe
      const briefs = new Map<string, RegionTextRecord>();
      for (const d of defs) {
        const stage = annotateStage(d.specialist);
        if (!(await readDoneMarker(storage, c, r, stage, shard)))
          throw new Error(`merge shard ${shard}: ${stage} has no done marker; its output is incomplete`);
        const raw = (await readShard(storage, layout.raw(c, r, d.specialist, shard), d.produces)).rows;
        if (describesRegions(d)) for (const b of raw as RegionTextRecord[]) briefs.set(b.region_id, b);
        else if (d.produces === 'text') texts.push(...(raw as TextRecord[]));
        else if (d.produces === 'region_text') regions.push(...(raw as RegionTextRecord[]));
        else groundings.push(...(raw as TextPhraseRegionRecord[]));
        errors.push(...(await readShard(storage, layout.raw(c, r, rawErrorsName(d.specialist), shard), 'errors')).rows);
      }
      // the box, its phrase and score stay the detector's; the brief is the region captioner's, and the
      // filters derive its noun chunks. A box without a brief (its prompt failed) keeps brief null.
      for (const x of regions) {
        const b = briefs.get(x.region_id);
        if (b && b.image_id === x.image_id && b.brief) x.brief = b.brief;
      }
      const textsOf = groupByImage(texts);
      const regionsOf = groupByImage(regions);
      const groundingsOf = groupByImage(groundings);
      const textById = new Map(texts.map((t) => [t.text_id, t]));
      const inputOf = (id: string): ImageInputs => ({
        texts: (textsOf.get(id) ?? []).map((t) => ({
          source: t.source,
          granularity: t.granularity,
          text: t.text,
          score: t.score,
        })),
        regions: (regionsOf.get(id) ?? []).map((x) => ({
          source: x.source,
          kind: x.kind,
          box: x.box,
          quad: x.quad,
          phrase: x.phrase,
          brief: x.brief,
          score: x.score,
        })),
        groundings: groundingsWithText(groundingsOf.get(id) ?? [], textById),
      });
      for (const image of images)
        if (image.error)
          errors.push({
            image_id: image.image_id,
            shard,
            stage: 'enqueue',
            message: `image ${image.image_id}: ${image.error}`,
          });
      const previousRows = (id: string): PreviousRows => ({
        text: previous?.text.get(id) ?? [],
        region_text: previous?.region_text.get(id) ?? [],
        text_phrase_region: previous?.text_phrase_region.get(id) ?? [],
      });
      const acc = ctx.plan.acceptance;
      // the verified collection's labels are what its rows are scored against, not rows of its own
      const verified = acc?.role === 'verified';
      const merged = verified ? images.map((i) => ({ ...i, existing_boxes: [], existing_texts: [] })) : images;
      const filterStats = new Map<string, FilterStats>();
      const addStat = (s: FilterStats) =>
        filterStats.set(s.filter, filterStats.has(s.filter) ? addStats(filterStats.get(s.filter)!, s) : s);
      const mergeErrors = new Map<string, string>();
      /** Every image's candidate rows under `thresholds` (run once per shard): filter the new rows, then combine with the previous round, then merge. */
      const mergeAll = async (thresholds: Thresholds): Promise<Rows> => {
        const out: Rows = { text: [], region_text: [], text_phrase_region: [] };
        for (let i = 0; i < merged.length; i++) {
          const image = merged[i];
          // the filters are synchronous JS: hand the event loop back between mini-batches (lock renewal, progress)
          if (i && i % ctx.plan.batchSize === 0) await ctx.heartbeat(i, merged.length);
          try {
            const input = inputOf(image.image_id);
            let m;
            if (refine && previous) {
              const size = { width: image.width ?? Number.MAX_VALUE, height: image.height ?? Number.MAX_VALUE };
              const fresh = prefilterNew(input, size, config, thresholds);
              fresh.stats.forEach(addStat);
              const combined = combineWithPrevious(
                image,
                config.merge.altTextGranularity,
                fresh,
                previousRows(image.image_id),
                { policy: refine.policy, agreeIou: refine.agreeIou, nmsIou: config.boxes.nmsIou },
              );
              for (const [k, v] of Object.entries(combined.counts)) refineCounts[k] = (refineCounts[k] ?? 0) + v;
              // both sides were filtered already (new rows just now, previous rows in their round): no threshold again
              m = mergeImage(
                { image, round: r, texts: combined.texts, regions: combined.regions, groundings: combined.groundings },
                config,
                PASS_ALL,
              );
            } else m = mergeImage({ image, round: r, ...input }, config, thresholds);
            out.text.push(...m.text);
            out.region_text.push(...m.region_text);
            out.text_phrase_region.push(...m.text_phrase_region);
            m.stats.forEach(addStat);
          } catch (e) {
            mergeErrors.set(image.image_id, (e as Error).message);
          }
        }
        return out;
      };
      const t0 = performance.now();
      let acceptance: Acceptance | null = null;
      let out: Rows;
      const previousAll = (): Rows => ({
        text: [...(previous?.text.values() ?? [])].flat(),
        region_text: [...(previous?.region_text.values() ?? [])].flat(),
        text_phrase_region: [...(previous?.text_phrase_region.values() ?? [])].flat(),
      });
      if (acc && verified) {
        const shards = await listImageShards(storage, c);
        if (shards.length !== 1)
          throw new Error(
            `merge of verified collection ${c} round ${r}: it has ${shards.length} image shards; a verified set is decided as one shard (enqueue it with a shardSize of at least its image count)`,
          );
        const cal = calibrate(images, new Map(images.map((i) => [i.image_id, inputOf(i.image_id)])), config, acc);
        out = await mergeAll(thresholdsOf(acc.calibrate ? cal : null, config));
        acceptance = decideAcceptance({
          verified: c,
          round: r,
          plan: acc,
          calibration: cal,
          candidate: refine ? out : null,
          previous: refine ? previousAll() : null,
        });
        // the decision first: the rows below are under it, and every other collection's merge reads it
        await writeAcceptance(storage, acceptance);
      } else {
        if (acc) {
          acceptance = await readAcceptance(storage, acc.verified, r);
          if (!acceptance)
            throw new Error(
              `merge shard ${shard} of ${c} round ${r}: the verified collection ${acc.verified} has no acceptance for round ${r} yet (${layout.acceptance(acc.verified, r)}); its round runs first`,
            );
        }
        out = await mergeAll(thresholdsOf(acc?.calibrate ? (acceptance?.calibration ?? null) : null, config));
      }
      // the gates: per kind and class, the round's rows or the previous round's
      const gates = acceptance && refine && acc?.gates ? acceptance.gates : null;
      if (gates) out = applyGates(out, previousAll(), gateLookup(gates), r);
      for (const [id, message] of mergeErrors)
        errors.push({ image_id: id, shard, stage: 'merge', message: `image ${id}: ${message}` });
      const filterMs = performance.now() - t0;
      await ctx.heartbeat(images.length, images.length);
      const files = [
        await writeShard(storage, layout.kind(c, r, 'text', shard), 'text', out.text),
        await writeShard(storage, layout.kind(c, r, 'region_text', shard), 'region_text', out.region_text),
        await writeShard(
          storage,
          layout.kind(c, r, 'text_phrase_region', shard),
          'text_phrase_region',
          out.text_phrase_region,
        ),
        await writeShard(storage, layout.kind(c, r, 'errors', shard), 'errors', errors),
      ];
      if (gates) refineCounts.gates_previous = gates.filter((g) => g.decision === 'previous').length;
      const stats: Record<string, StepStats> = {};
      for (const [name, s] of filterStats) stats[name] = { total: s.total, kept: s.kept, dropped: s.dropped, ms: 0 };
      stats.merge = {
        total: images.length,
        kept: images.length - new Set(errors.map((e) => e.image_id)).size,
        dropped: {},
        ms: filterMs,
      };
      const counts = Object.fromEntries(files.map((f) => [f.kind, f.rows]));
      counts.images = images.length;
      for (const [k, v] of Object.entries(refineCounts)) counts[`refine_${k}`] = v;
      return { counts, stats, files: files.map(markerFile) };
    },
  };
}
