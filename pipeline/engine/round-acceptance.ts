import { Acceptance, type GateDecision } from '../../schemas/acceptance.ts';
import type { EngineConfig } from '../../schemas/config.ts';
import type { ImageRecord } from '../../schemas/records.ts';
import type { RoundPlan } from '../../schemas/round-plan.ts';
import { validate } from '../../schemas/validate.ts';
import { checkSchemaVersion, SCHEMA_VERSION } from '../../schemas/version.ts';
import type { FilterConfig } from '../../filters/filter-config.ts';
import { calibrateBoxes, calibrateTexts, type ScoredText } from '../../filters/acceptance/calibrate.ts';
import { decideGates, type Rows } from '../../filters/acceptance/gates.ts';
import {
  labelSpace,
  mentionMatcher,
  textFigures,
  textTally,
  verifiedImage,
  type ScoredBox,
  type VerifiedImage,
} from '../../filters/acceptance/verified-score.ts';
import { prefilterNew } from '../../filters/merge/prefilter.ts';
import {
  ALT_TEXT_SOURCE,
  configuredThresholds,
  PASS_ALL,
  type RawRegion,
  type RawText,
  type Thresholds,
} from '../../filters/merge/merge-types.ts';
import { layout } from '../layout.ts';
import { objectName } from '../shards/storage-io.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * The verified set in a round (docs/architecture.md, "Calibration and acceptance gates"): the plan
 * field that says which collection decides, the decision itself (thresholds calibrated on the
 * verified collection's raw rows, gates from its candidate rows against its previous round), and the
 * decision file every other collection's merge reads.
 */
export function acceptancePlan(config: Pick<EngineConfig, 'verified'>, collection: string): RoundPlan['acceptance'] {
  const v = config.verified;
  if (!v.collection) return undefined;
  return {
    verified: v.collection,
    role: collection === v.collection ? 'verified' : 'follower',
    margin: v.margin,
    confidence: v.confidence,
    minSupport: v.minSupport,
    precision: v.precision,
    calibrate: v.calibrate,
    gates: v.gates,
    targets: v.targets,
  };
}

/** Before a follower's round is planned: the verified collection's round must have decided, or every merge of it would fail. */
export async function checkAcceptanceReady(
  storage: Storage,
  plan: RoundPlan['acceptance'],
  collection: string,
  round: number,
): Promise<void> {
  if (plan?.role !== 'follower' || (await storage.exists(layout.acceptance(plan.verified, round)))) return;
  throw new Error(
    `round ${round} of ${collection}: the verified collection ${plan.verified} (config verified) has not finished round ${round}, whose merge decides this round's thresholds and gates; run its round first (fld run --rounds runs it for you)`,
  );
}

/** A verified collection is one shard, whatever the configured size: its merge decides over all of it at once. */
export const VERIFIED_SHARD_SIZE = 100_000;
export const shardSizeFor = (plan: Pick<RoundPlan, 'acceptance'>, configured: number): number =>
  plan.acceptance?.role === 'verified' ? Math.max(configured, VERIFIED_SHARD_SIZE) : configured;

export async function readAcceptance(storage: Storage, verified: string, round: number): Promise<Acceptance | null> {
  const key = layout.acceptance(verified, round);
  if (!(await storage.exists(key))) return null;
  const what = `acceptance ${objectName(storage, key)}`;
  const raw = JSON.parse(new TextDecoder().decode(await storage.get(key))) as Record<string, unknown>;
  checkSchemaVersion(what, raw.schema_version);
  return validate(Acceptance, raw, what);
}

export async function writeAcceptance(storage: Storage, a: Acceptance): Promise<void> {
  const key = layout.acceptance(a.verified, a.round);
  const v = validate(Acceptance, a, `acceptance ${objectName(storage, key)}`);
  await storage.put(key, JSON.stringify(v, null, 2) + '\n', { contentType: 'application/json' });
}

/** The thresholds a merge uses: the calibrated one where the verified set chose one, the configured one elsewhere. */
export function thresholdsOf(calibration: Acceptance['calibration'] | null, config: FilterConfig): Thresholds {
  const base = configuredThresholds(config);
  if (!calibration) return base;
  const { boxes, texts } = calibration;
  return {
    box: (source, category) => boxes[source]?.[category]?.threshold ?? base.box(source, category),
    text: (source, granularity) => texts[source]?.[granularity]?.threshold ?? base.text(source, granularity),
  };
}

/** The verified images' labels: their existing boxes and texts, which their own merge does not take in as rows. */
export const verifiedImages = (images: readonly ImageRecord[]): VerifiedImage[] =>
  images.filter((i) => !i.error).map(verifiedImage);

export interface ImageRaw {
  texts: RawText[];
  regions: RawRegion[];
}

/**
 * Thresholds per source and class from the verified images' raw rows of this round: boxes after
 * geometry and NMS within their source, texts (alt-text included) as written.
 */
export function calibrate(
  images: readonly ImageRecord[],
  raw: ReadonlyMap<string, ImageRaw>,
  config: FilterConfig,
  plan: NonNullable<RoundPlan['acceptance']>,
): Acceptance['calibration'] & {
  textSources: Acceptance['textSources'];
  mentions: (t: string) => Set<string>;
  labels: VerifiedImage[];
} {
  const labels = verifiedImages(images);
  const mentions = mentionMatcher(labelSpace(labels));
  const boxes: (ScoredBox & { source: string })[] = [];
  const texts: ScoredText[] = [];
  for (const im of images) {
    if (im.error) continue;
    const r = raw.get(im.image_id) ?? { texts: [], regions: [] };
    const size = { width: im.width ?? Number.MAX_VALUE, height: im.height ?? Number.MAX_VALUE };
    const f = prefilterNew({ texts: r.texts, regions: r.regions, groundings: [] }, size, config, PASS_ALL);
    for (const x of f.regions)
      if (x.kind === 'object')
        boxes.push({ image_id: im.image_id, source: x.source, category: x.phrase, box: x.box, score: x.score });
    for (const t of r.texts)
      texts.push({ image_id: im.image_id, source: t.source, granularity: t.granularity, text: t.text, score: t.score });
    if (im.alt_text?.trim())
      texts.push({
        image_id: im.image_id,
        source: ALT_TEXT_SOURCE,
        granularity: config.merge.altTextGranularity,
        text: im.alt_text,
        score: null,
      });
  }
  const o = { minSupport: plan.minSupport, precision: plan.precision };
  const textTable = calibrateTexts(texts, labels, mentions, { ...o, fallback: 0 });
  // the export picks one caption per image: rank sources by how good their texts are where they have
  // one (F1 over the images they cover, at their threshold), not by how many images they cover
  const textSources: Acceptance['textSources'] = {};
  for (const [source, per] of Object.entries(textTable)) {
    for (const [g, e] of Object.entries(per)) {
      if (e.threshold === 'off') continue;
      const t = e.threshold;
      const kept = texts.filter((x) => x.source === source && x.granularity === g && (x.score ?? 1) >= t);
      const covered = new Set(kept.map((x) => x.image_id));
      (textSources[g] ??= []).push({
        source,
        f1: textFigures(
          textTally(
            kept,
            labels.filter((l) => covered.has(l.image_id)),
            mentions,
          ),
        ).f1,
      });
    }
  }
  for (const list of Object.values(textSources)) list.sort((a, b) => b.f1 - a.f1 || (a.source < b.source ? -1 : 1));
  return {
    boxes: calibrateBoxes(boxes, labels, { ...o, fallback: config.boxes.scoreThreshold }),
    texts: textTable,
    textSources,
    mentions,
    labels,
  };
}

/** The acceptance of a verified collection's round: its calibration, and (round >= 1) the gates of its candidate rows against its previous round's. */
export function decideAcceptance(o: {
  verified: string;
  round: number;
  plan: NonNullable<RoundPlan['acceptance']>;
  calibration: ReturnType<typeof calibrate>;
  candidate: Rows | null;
  previous: Rows | null;
}): Acceptance {
  const { calibration: c } = o;
  const gates: GateDecision[] =
    o.candidate && o.previous
      ? decideGates(o.candidate, o.previous, c.labels, c.mentions, o.plan.margin, o.plan.confidence)
      : [];
  return {
    schema_version: SCHEMA_VERSION,
    verified: o.verified,
    round: o.round,
    images: c.labels.length,
    margin: o.plan.margin,
    confidence: o.plan.confidence,
    calibration: { boxes: c.boxes, texts: c.texts },
    gates,
    textSources: c.textSources,
  };
}
