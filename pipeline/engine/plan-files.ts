import { z } from 'zod';
import { CollectionPlan, RoundPlan } from '../../schemas/round-plan.ts';
import { validate } from '../../schemas/validate.ts';
import { checkSchemaVersion, SCHEMA_VERSION } from '../../schemas/version.ts';
import { layout } from '../layout.ts';
import { objectName } from '../shards/storage-io.ts';
import { StorageError, type Storage } from '../storage/storage.ts';

/** The round plan and the collection plan in storage (schemas/round-plan.ts). */

async function readJson(storage: Storage, key: string, what: string): Promise<Record<string, unknown> | null> {
  if (!(await storage.exists(key))) return null;
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(await storage.get(key)));
  } catch (e) {
    throw new Error(`${what}: not JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${what}: not a JSON object`);
  checkSchemaVersion(what, (v as Record<string, unknown>).schema_version);
  return v as Record<string, unknown>;
}

export async function writeRoundPlan(storage: Storage, plan: Omit<RoundPlan, 'schema_version'>): Promise<RoundPlan> {
  const key = layout.roundPlan(plan.collection, plan.round);
  const p = validate(RoundPlan, { schema_version: SCHEMA_VERSION, ...plan }, `round plan ${objectName(storage, key)}`);
  await storage.put(key, JSON.stringify(p, null, 2) + '\n', { contentType: 'application/json' });
  return p;
}

/**
 * Saves the round plan unless one is there, in one conditional create: of two enqueues planning the
 * round at once exactly one plan is saved. Returns the saved plan (ours or the one that got there
 * first) and ours as validated, so the caller can compare them.
 */
export async function createRoundPlan(
  storage: Storage,
  plan: Omit<RoundPlan, 'schema_version'>,
): Promise<{ saved: RoundPlan; ours: RoundPlan; created: boolean }> {
  const key = layout.roundPlan(plan.collection, plan.round);
  const ours = validate(
    RoundPlan,
    { schema_version: SCHEMA_VERSION, ...plan },
    `round plan ${objectName(storage, key)}`,
  );
  if (await createOnce(storage, key, JSON.stringify(ours, null, 2) + '\n')) return { saved: ours, ours, created: true };
  const saved = await readRoundPlan(storage, plan.collection, plan.round);
  if (!saved)
    throw new StorageError(
      storage.url,
      'putIfAbsent',
      key,
      'the object was there a moment ago and is gone now (deleted while this round was being planned?)',
      true,
    );
  return { saved, ours, created: false };
}

export async function readRoundPlan(storage: Storage, collection: string, round: number): Promise<RoundPlan | null> {
  const key = layout.roundPlan(collection, round);
  const what = `round plan ${objectName(storage, key)}`;
  const raw = await readJson(storage, key, what);
  return raw && validate(RoundPlan, raw, what);
}

export async function writeCollectionPlan(
  storage: Storage,
  plan: Omit<CollectionPlan, 'schema_version'>,
): Promise<void> {
  const key = layout.collectionPlan(plan.collection);
  const p = validate(
    CollectionPlan,
    { schema_version: SCHEMA_VERSION, ...plan },
    `collection plan ${objectName(storage, key)}`,
  );
  await storage.put(key, JSON.stringify(p, null, 2) + '\n', { contentType: 'application/json' });
}

export async function readCollectionPlan(storage: Storage, collection: string): Promise<CollectionPlan | null> {
  const key = layout.collectionPlan(collection);
  const what = `collection plan ${objectName(storage, key)}`;
  const raw = await readJson(storage, key, what);
  return raw && validate(CollectionPlan, raw, what);
}

/**
 * How the collection's image shards are cut (`images/_listing.json`), saved before the first image
 * shard: two listings with another source, shard size or record options would write different
 * records under the same shard keys, so the first listing's settings bind every later one.
 */
export const ListingPlan = z.object({
  schema_version: z.number().int(),
  collection: z.string().min(1),
  source: z.string().min(1),
  shardSize: z.number().int().min(1),
  idFrom: z.enum(['uri', 'bytes']),
  readSize: z.boolean(),
  checkImages: z.boolean(),
  created_at: z.iso.datetime(),
});
export type ListingPlan = z.infer<typeof ListingPlan>;

export const listingKey = (collection: string): string => `${layout.imagesPrefix(collection)}_listing.json`;

/** Saves the listing plan unless one is there (one conditional create); returns the saved one and ours. */
export async function claimListing(
  storage: Storage,
  plan: Omit<ListingPlan, 'schema_version'>,
): Promise<{ saved: ListingPlan; ours: ListingPlan; created: boolean }> {
  const key = listingKey(plan.collection);
  const ours = validate(
    ListingPlan,
    { schema_version: SCHEMA_VERSION, ...plan },
    `listing plan ${objectName(storage, key)}`,
  );
  if (await createOnce(storage, key, JSON.stringify(ours, null, 2) + '\n')) return { saved: ours, ours, created: true };
  const saved = await readListing(storage, plan.collection);
  if (!saved)
    throw new StorageError(
      storage.url,
      'putIfAbsent',
      key,
      'the object was there a moment ago and is gone now (deleted while the collection was being listed?)',
      true,
    );
  return { saved, ours, created: false };
}

export async function readListing(storage: Storage, collection: string): Promise<ListingPlan | null> {
  const key = listingKey(collection);
  const what = `listing plan ${objectName(storage, key)}`;
  const raw = await readJson(storage, key, what);
  return raw && validate(ListingPlan, raw, what);
}

async function createOnce(storage: Storage, key: string, body: string): Promise<boolean> {
  // A check-then-put here would let two enqueues both believe they planned the round.
  if (!storage.putIfAbsent)
    throw new StorageError(
      storage.url,
      'putIfAbsent',
      key,
      'this storage has no conditional create, which planning a round needs',
      false,
    );
  return storage.putIfAbsent(key, body, { contentType: 'application/json' });
}

export interface PlanDifference {
  field: string;
  saved: unknown;
  ours: unknown;
}

/** The fields in which two plans differ (compared as JSON with sorted keys, so key order is no difference). */
export function planDifferences<T extends Record<string, unknown>>(
  saved: T,
  ours: T,
  fields: readonly (keyof T & string)[],
): PlanDifference[] {
  return fields
    .filter((f) => stableJson(saved[f]) !== stableJson(ours[f]))
    .map((field) => ({ field, saved: saved[field], ours: ours[field] }));
}

export const describeDifferences = (d: PlanDifference[]): string =>
  d.map((x) => `${x.field}: ${stableJson(x.saved)} saved, ${stableJson(x.ours)} in this enqueue`).join('; ');

function stableJson(v: unknown): string {
  return (
    JSON.stringify(v, (_k, x: unknown) =>
      x && typeof x === 'object' && !Array.isArray(x)
        ? Object.fromEntries(
            Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          )
        : x,
    ) ?? 'undefined'
  );
}

/** Shard ids whose image shard exists, ascending (what `--resume` rebuilds from when Redis is gone). */
export async function listImageShards(storage: Storage, collection: string): Promise<number[]> {
  const out: number[] = [];
  for await (const key of storage.list(layout.imagesPrefix(collection))) {
    const m = /\/shard-(\d{5,})\.parquet$/.exec(key);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}
