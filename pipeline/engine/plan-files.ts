import { CollectionPlan, RoundPlan } from '../../schemas/round-plan.ts';
import { validate } from '../../schemas/validate.ts';
import { checkSchemaVersion, SCHEMA_VERSION } from '../../schemas/version.ts';
import { layout } from '../layout.ts';
import { objectName } from '../shards/storage-io.ts';
import type { Storage } from '../storage/storage.ts';

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

export async function readRoundPlan(storage: Storage, collection: string, round: number): Promise<RoundPlan | null> {
  const key = layout.roundPlan(collection, round);
  const what = `round plan ${objectName(storage, key)}`;
  const raw = await readJson(storage, key, what);
  return raw && validate(RoundPlan, raw, what);
}

export async function writeCollectionPlan(storage: Storage, plan: Omit<CollectionPlan, 'schema_version'>): Promise<void> {
  const key = layout.collectionPlan(plan.collection);
  const p = validate(CollectionPlan, { schema_version: SCHEMA_VERSION, ...plan }, `collection plan ${objectName(storage, key)}`);
  await storage.put(key, JSON.stringify(p, null, 2) + '\n', { contentType: 'application/json' });
}

export async function readCollectionPlan(storage: Storage, collection: string): Promise<CollectionPlan | null> {
  const key = layout.collectionPlan(collection);
  const what = `collection plan ${objectName(storage, key)}`;
  const raw = await readJson(storage, key, what);
  return raw && validate(CollectionPlan, raw, what);
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
