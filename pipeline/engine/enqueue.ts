import type { EngineConfig } from '../../schemas/config.ts';
import { type CollectionPlan, ROUND_PLAN_FIELDS, type RoundPlan } from '../../schemas/round-plan.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import { layout } from '../layout.ts';
import { checkedShardBytes, PARQUET_TYPE } from '../shards/storage-io.ts';
import type { Storage } from '../storage/storage.ts';
import { planShards, type PlanOptions } from '../sources/plan.ts';
import type { Source } from '../sources/types.ts';
import { acceptancePlan, checkAcceptanceReady, shardSizeFor } from './round-acceptance.ts';
import {
  claimListing,
  createRoundPlan,
  writeRoundPlan,
  listingKey,
  describeDifferences,
  listImageShards,
  planDifferences,
  readCollectionPlan,
  readListing,
  readRoundPlan,
  writeCollectionPlan,
  type ListingPlan,
} from './plan-files.ts';
import { DEFAULT_JOB_POLICY, type JobPolicy } from './policy.ts';
import type { RoundQueue } from './round-queue.ts';
import { roundSpecialists } from './stages.ts';
import { SPECIALISTS } from './specialist-registry.ts';
import { checkSpecialistRefs } from '../../specialists/registry/specialist-refs.ts';

/** Specialists with an adapter in this build (specialist-registry.ts); the rest are refused at enqueue, before any work. */
export const WIRED_SPECIALISTS = SPECIALISTS.map((s) => s.specialist);

/**
 * Image shard puts in flight while planning goes on: together they share folder fsyncs (local
 * storage, folder-sync.ts) or overlap their round trips (S3), where one at a time paid each in full
 * (docs/decisions.md, "Sources and shard planning").
 */
export const SHARD_PUTS_IN_FLIGHT = 8;

/** Two enqueues that both planned the same round or listing with different settings: the one that lost. */
export class PlanConflictError extends Error {
  override name = 'PlanConflictError';
}

/**
 * The round's plan: the one saved in storage if the round was enqueued before, else a new one from
 * config, after checking that every specialist names a model that is there (built-in, folder or
 * registry name; the message names `fld models pull` and the catalogue). The new plan is saved with
 * a conditional create: an enqueue that loses the race to another one with the same plan joins it,
 * one with a different plan is refused before it writes anything, naming what differs.
 */
export async function roundPlanFor(
  storage: Storage,
  collection: string,
  round: number,
  config: EngineConfig,
  jobs: JobPolicy = config.jobs ?? DEFAULT_JOB_POLICY,
): Promise<RoundPlan> {
  const saved = await readRoundPlan(storage, collection, round);
  if (saved) return saved;
  const {
    saved: winner,
    ours,
    created,
  } = await createRoundPlan(storage, await checkedPlan(storage, collection, round, config, jobs));
  if (created) return winner;
  const diff = planDifferences(winner, ours, ROUND_PLAN_FIELDS);
  if (diff.length) {
    throw new PlanConflictError(
      `round ${round} of collection ${collection}: another enqueue planned this round at the same moment with a different plan (${describeDifferences(diff)}); this enqueue wrote nothing. The saved plan is ${layout.roundPlan(collection, round)}`,
    );
  }
  return winner;
}

/** A new plan of the round from the config, checked (specialists wired, model folders there, the verified set ready); not saved. */
async function checkedPlan(
  storage: Storage,
  collection: string,
  round: number,
  config: EngineConfig,
  jobs: JobPolicy,
): Promise<Omit<RoundPlan, 'schema_version'>> {
  const names = Object.keys(config.specialists);
  roundSpecialists(names);
  const unwired = names.filter((n) => !WIRED_SPECIALISTS.includes(n));
  if (unwired.length)
    throw new Error(
      `config specialists: no adapter for ${unwired.join(', ')} in this build (wired: ${WIRED_SPECIALISTS.join(', ')}); remove them from "specialists"`,
    );
  // a missing model folder stops the round here, before anything is written, not on a worker later
  checkSpecialistRefs(config.specialists);
  const acceptance = acceptancePlan(config, collection);
  await checkAcceptanceReady(storage, acceptance, collection, round);
  return {
    collection,
    round,
    specialists: config.specialists,
    filters: config.filters,
    batchSize: config.batchSize,
    window: config.window,
    jobs,
    acceptance,
    created_at: new Date().toISOString(),
  };
}

/**
 * `fld enqueue --replan`: the round's saved plan replaced by one from the config, for a round whose
 * plan cannot work (every merge failing on it, say). Refused while any shard of the round is queued
 * or running: shards done under the old plan stay done, failed ones run under the new plan on
 * `fld retry`. Returns the new plan and what changed ('' when nothing did).
 */
export async function replanRound(
  q: RoundQueue,
  collection: string,
  round: number,
  config: EngineConfig,
): Promise<{ plan: RoundPlan; changed: string }> {
  const saved = await readRoundPlan(q.storage, collection, round);
  if (!saved) return { plan: await roundPlanFor(q.storage, collection, round, config), changed: '' };
  const k = { collection, round };
  const busy = await q.shardsInFlight(k);
  if (busy.length) {
    throw new PlanConflictError(
      `round ${round} of collection ${collection}: ${busy.length} shard(s) are queued or running (${busy.slice(0, 5).join(', ')}${busy.length > 5 ? ', ...' : ''}); --replan waits until none is (fld status), so that no shard runs half under each plan`,
    );
  }
  const next = await writeRoundPlan(
    q.storage,
    await checkedPlan(q.storage, collection, round, config, config.jobs ?? DEFAULT_JOB_POLICY),
  );
  if (await q.isRegistered(k)) await q.replacePlan(next);
  return { plan: next, changed: describeDifferences(planDifferences(saved, next, ROUND_PLAN_FIELDS)) };
}

/** How a listing cuts the collection into shards; a listing differing in any of these would write other records under the same keys. */
const LISTING_FIELDS = ['source', 'shardSize', 'idFrom', 'readSize', 'checkImages'] as const;

function listingConflict(
  collection: string,
  round: number | undefined,
  saved: Pick<ListingPlan, 'source' | 'shardSize'> & Partial<ListingPlan>,
  ours: ListingPlan,
  fields: readonly (typeof LISTING_FIELDS)[number][],
): void {
  const diff = planDifferences<Record<string, unknown>>(saved, ours, fields);
  if (!diff.length) return;
  const what = round === undefined ? `collection ${collection}` : `round ${round} of collection ${collection}`;
  throw new PlanConflictError(
    `${what}: the collection's image listing was planned with other settings than this enqueue's (${describeDifferences(diff)}); ` +
      `this enqueue wrote no image shard. Enqueue with the saved settings (${listingKey(collection)}), or use another collection name`,
  );
}

export interface ImageShardSummary {
  shards: number[];
  images: number;
  skipped: number;
  /** The skipped source entries per reason, and the first ones with their messages (as `images/_collection.json` keeps them). */
  problems: CollectionPlan['skipped'];
  /** False when the collection's shards were written by an earlier enqueue (the source was not read again). */
  listed: boolean;
}

/**
 * The collection's image shards: the listing plan first (source, shard size, record options; one
 * conditional create, so of two listings at once with different settings one is refused before it
 * writes a shard), then the shards written once from the source (each at its deterministic key,
 * never rewritten), then the collection plan with the skipped entries, last. If that plan exists the
 * shards are taken from storage and the source is not read again; the settings must still match, or
 * the caller would think its own listing is what the round runs. `onShard` runs after each shard is
 * stored, so the queue can start before the whole source is listed. `round` only names the round in
 * a refusal.
 */
export async function writeImageShards(
  storage: Storage,
  source: Source,
  opts: PlanOptions & { collection: string; shardSize: number; round?: number },
  onShard: (shard: number) => Promise<void> = async () => {},
  onAccepted: () => Promise<void> = async () => {},
): Promise<ImageShardSummary> {
  const ours: ListingPlan = {
    schema_version: SCHEMA_VERSION,
    collection: opts.collection,
    source: source.description,
    shardSize: opts.shardSize,
    idFrom: opts.idFrom ?? 'uri',
    readSize: opts.readSize ?? false,
    checkImages: opts.checkImages ?? false,
    created_at: new Date().toISOString(),
  };
  const done = await readCollectionPlan(storage, opts.collection);
  if (done) {
    // a collection listed before listing plans existed has only its collection plan to compare with
    const listed = await readListing(storage, opts.collection);
    listingConflict(
      opts.collection,
      opts.round,
      listed ?? done,
      ours,
      listed ? LISTING_FIELDS : ['source', 'shardSize'],
    );
    await onAccepted();
    const shards = await listImageShards(storage, opts.collection);
    for (const s of shards) await onShard(s);
    return { shards, images: done.images, skipped: done.skipped.total, problems: done.skipped, listed: false };
  }
  const { schema_version: _v, ...claim } = ours;
  const { saved, created } = await claimListing(storage, claim);
  if (!created) listingConflict(opts.collection, opts.round, saved, ours, LISTING_FIELDS);
  await onAccepted();
  // Shards an interrupted listing already wrote are kept, not rewritten: one listing finds them all,
  // where a check per shard costs a stat (a HEAD request on S3) for each of them.
  const written = new Set(await listImageShards(storage, opts.collection));
  const plan = planShards(source, opts);
  const shards: number[] = [];
  // A shard is handed on (onShard: registered for work) once its put has ended, in shard order.
  const inFlight: { shard: number; put: Promise<unknown> }[] = [];
  const settle = async () => {
    const head = inFlight.shift() as (typeof inFlight)[number];
    await head.put;
    shards.push(head.shard);
    await onShard(head.shard);
  };
  try {
    for await (const s of plan) {
      const key = layout.images(opts.collection, s.shard);
      const put = written.has(s.shard)
        ? Promise.resolve()
        : storage.put(key, checkedShardBytes(key, 'image', s.records, { collection: opts.collection }), {
            contentType: PARQUET_TYPE,
          });
      // awaited in order by settle; this only keeps a later put's failure from going unhandled meanwhile
      put.catch(() => {});
      inFlight.push({ shard: s.shard, put });
      if (inFlight.length >= SHARD_PUTS_IN_FLIGHT) await settle();
    }
    while (inFlight.length) await settle();
  } catch (e) {
    // nothing of this listing keeps running after it has failed
    await Promise.allSettled(inFlight.map((f) => f.put));
    throw e;
  }
  const sum = plan.summary;
  const problems = {
    total: sum.problems,
    byReason: sum.byReason,
    examples: sum.examples.map((p) => ({ reason: p.reason, where: p.where, message: p.message })),
  };
  await writeCollectionPlan(storage, {
    collection: opts.collection,
    source: sum.source,
    shardSize: sum.shardSize,
    shards: sum.shards,
    images: sum.images,
    skipped: problems,
    created_at: new Date().toISOString(),
  });
  return { shards, images: sum.images, skipped: sum.problems, problems, listed: true };
}

export interface EnqueueSummary extends ImageShardSummary {
  collection: string;
  round: number;
  /** Shards new to this Redis (0 when the round was enqueued before). */
  registered: number;
  /** Shards skipped because their merge done marker exists. */
  alreadyDone: number;
}

/**
 * `fld enqueue`: plan, write image shards, register each shard with the round as soon as it is
 * stored and top up the window. Everything after registration is the engine's job (workers top up as
 * merges finish), so this command may exit or crash at any point: a re-run continues where it
 * stopped and adds no job twice (registration is once per shard, job ids are deterministic).
 */
export async function enqueueRound(
  q: RoundQueue,
  plan: RoundPlan,
  source: Source,
  opts: Omit<PlanOptions, 'collection'> & { shardSize: number; onShard?: (shard: number) => void },
): Promise<EnqueueSummary> {
  const k = { collection: plan.collection, round: plan.round };
  let registered = 0;
  let alreadyDone = 0;
  // Redis learns of the round once the listing plan is ours or matches (a refused enqueue leaves
  // nothing behind), and before the source is read (a listing that fails midway still shows in fld status)
  const summary = await writeImageShards(
    q.storage,
    source,
    { ...opts, collection: plan.collection, round: plan.round, shardSize: shardSizeFor(plan, opts.shardSize) },
    async (s) => {
      if (await q.storage.exists(layout.done(k.collection, k.round, 'merge', s))) alreadyDone++;
      else registered += await q.registerShards(k, [s]);
      await q.topUp(k, { reconcile: false });
      opts.onShard?.(s);
    },
    async () => {
      await q.ensureQueues();
      await q.registerRound(plan);
    },
  );
  await q.markPlanned(k, summary.shards.length);
  await q.topUp(k);
  return { ...summary, collection: plan.collection, round: plan.round, registered, alreadyDone };
}

/**
 * `fld enqueue --resume`: rebuilds a round's queue from storage alone (after a Redis loss or a crash
 * of everything): the round plan, the image shards, and the merge done markers; every shard without
 * one is registered again. Safe on a live Redis too (registration is once per shard).
 */
export async function resumeRound(q: RoundQueue, collection: string, round: number): Promise<EnqueueSummary> {
  const plan = await readRoundPlan(q.storage, collection, round);
  if (!plan)
    throw new Error(
      `round ${round} of collection ${collection}: no round plan in ${q.storage.url} (was it ever enqueued? run fld enqueue <source> --collection ${collection} --round ${round})`,
    );
  const k = { collection, round };
  await q.ensureQueues();
  await q.registerRound(plan);
  const shards = await listImageShards(q.storage, collection);
  const cp = await readCollectionPlan(q.storage, collection);
  let registered = 0;
  let alreadyDone = 0;
  for (const s of shards) {
    if (await q.storage.exists(layout.done(collection, round, 'merge', s))) alreadyDone++;
    else registered += await q.registerShards(k, [s]);
  }
  if (cp) await q.markPlanned(k, shards.length);
  await q.topUp(k);
  return {
    collection,
    round,
    shards,
    images: cp?.images ?? 0,
    skipped: cp?.skipped.total ?? 0,
    problems: cp?.skipped ?? { total: 0, byReason: {}, examples: [] },
    listed: false,
    registered,
    alreadyDone,
  };
}
