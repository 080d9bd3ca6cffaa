import type { RegionTextRecord, TextPhraseRegionRecord } from '../../schemas/records.ts';
import { boxArrays } from '../../filters/boxes/arrays.ts';
import { batchedNms } from '../../filters/boxes/nms.ts';
import { nounPhrases } from '../../filters/phrases/phrases.ts';
import {
  emptyResult,
  sourceOf,
  type AdapterResult,
  type CaptionInput,
  type ImageInput,
  type SpecialistAdapter,
} from '../adapter.ts';
import { DetectorAdapter, type DetectorBatch, type DetectorOptions } from './detector.ts';

/**
 * Phrase grounding by a closed-vocabulary detector (config `specialists.grounding` = a detector
 * folder): each noun phrase of a caption whose head noun names one of the detector's classes
 * ("two red circles" -> circle) is grounded to the boxes the detector finds of that class (score at
 * least `scoreThreshold`, per-class NMS). The paper grounds with an open-vocabulary model; a
 * detector is the closed-vocabulary version of it, and the one that works where the small
 * Florence-2 cannot place boxes (docs/architecture.md, "The demo's specialists"). It does not read
 * attributes: "a red circle" gets every circle the detector found.
 */
export interface DetectorGroundingOptions extends DetectorOptions {
  /** Boxes below this score are not grounded to (default 0.3, the demo detector's band threshold). */
  scoreThreshold?: number;
  /** Per-class NMS IoU (default 0.5). */
  nmsIou?: number;
}

interface Prepared {
  detector: DetectorBatch;
  captions: Map<string, CaptionInput[]>;
}

/** The class a noun phrase's head names, if any: the class itself or its plural (-s, -es). */
export function classOfHead(head: string, classes: readonly string[]): string | null {
  const h = head.toLowerCase();
  for (const c of classes) {
    const lc = c.toLowerCase();
    if (h === lc || h === `${lc}s` || h === `${lc}es`) return c;
  }
  return null;
}

export class DetectorGroundingAdapter implements SpecialistAdapter {
  readonly kind = 'detector' as const;
  readonly #detector: DetectorAdapter;
  #classes: string[] = [];

  constructor(readonly opts: DetectorGroundingOptions) {
    // every box the detector reports at the threshold; the raw pre-threshold stays low so NMS sees them all
    this.#detector = new DetectorAdapter({
      ...opts,
      minScore: Math.min(opts.minScore ?? 0.05, opts.scoreThreshold ?? 0.3),
    });
  }

  get name(): string {
    return this.#detector.name;
  }

  get version(): string {
    return this.#detector.version;
  }

  async setup(): Promise<void> {
    await this.#detector.setup();
    this.#classes = this.#detector.classes;
  }

  async prepare(batch: ImageInput[]): Promise<Prepared> {
    return {
      detector: await this.#detector.prepare(batch),
      captions: new Map(batch.map((b) => [b.image_id, b.captions ?? []])),
    };
  }

  async run(p: Prepared): Promise<AdapterResult> {
    const det = await this.#detector.run(p.detector);
    const result = emptyResult();
    result.errors.push(...det.errors.map((e) => ({ ...e, stage: 'annotate:grounding' })));
    result.sizes.push(...det.sizes);
    const byImage = new Map<string, RegionTextRecord[]>();
    for (const r of det.region_text) {
      if ((r.score ?? 0) < (this.opts.scoreThreshold ?? 0.3)) continue;
      let l = byImage.get(r.image_id);
      if (!l) byImage.set(r.image_id, (l = []));
      l.push(r);
    }
    const source = sourceOf(this);
    const round = this.opts.round ?? 0;
    for (const { image_id } of det.sizes) {
      const rows = byImage.get(image_id) ?? [];
      const labelOf = new Map(this.#classes.map((c, i) => [c, i]));
      const kept = [
        ...batchedNms(
          boxArrays(rows.map((r) => ({ box: r.box, score: r.score, label: labelOf.get(r.phrase) ?? -1 }))),
          this.opts.nmsIou ?? 0.5,
        ),
      ].map((i) => rows[i]);
      for (const cap of p.captions.get(image_id) ?? []) {
        for (const np of nounPhrases(cap.text)) {
          if (np.pronoun) continue;
          const cls = classOfHead(np.head, this.#classes);
          const boxes = cls ? kept.filter((r) => r.phrase === cls) : [];
          if (!boxes.length) continue;
          const score = boxes.reduce((a, r) => a + (r.score ?? 0), 0) / boxes.length;
          result.text_phrase_region.push({
            image_id,
            round,
            text_id: cap.text_id,
            granularity: cap.granularity,
            phrase: np.phrase,
            span: np.span,
            boxes: boxes.map((r) => r.box),
            source,
            score,
            sources: [source],
          } satisfies TextPhraseRegionRecord);
        }
      }
    }
    return result;
  }

  async annotate(batch: ImageInput[]): Promise<AdapterResult> {
    return this.run(await this.prepare(batch));
  }

  teardown(): Promise<void> {
    return this.#detector.teardown();
  }
}
