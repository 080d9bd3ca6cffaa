import type { ManifestFile, RoundManifest } from '../../schemas/manifest.ts';
import { ROUND_KINDS, type RoundKind } from '../../schemas/records.ts';
import { checkSchemaVersion } from '../../schemas/version.ts';
import { layout } from '../layout.ts';
import { readManifest, RoundFileError } from '../shards/round-files.ts';
import { objectName } from '../shards/storage-io.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * A round's files read back through any Storage, by the keys the engine writes
 * (docs/architecture.md, "A round and its files"): its kind shards and the collection's image shards
 * by listing, its done markers, its manifest. The one reader of rounds for export, stats and quality.
 */
export interface ShardKey {
  shard: number;
  key: string;
}

export interface ListedRound {
  collection: string;
  round: number;
  /** The round's shard files per kind, in shard order. */
  files: Record<RoundKind, ShardKey[]>;
  /** The collection's image-record shards, in shard order. */
  images: ShardKey[];
  /** Whether the round is closed (its `_manifest.json` exists). */
  closed: boolean;
}

// Only finished shard files count: a writer's temp file (written then renamed) is not a shard yet.
const SHARD_FILE = /^shard-(\d{5})\.parquet$/;

async function shardsUnder(storage: Storage, prefix: string, keyOf: (shard: number) => string): Promise<ShardKey[]> {
  const out: ShardKey[] = [];
  for await (const key of storage.list(prefix)) {
    const m = SHARD_FILE.exec(key.slice(prefix.length));
    if (m && key === keyOf(Number(m[1]))) out.push({ shard: Number(m[1]), key });
  }
  return out.sort((a, b) => a.shard - b.shard);
}

/** The files of a round that are there now, whether or not the round is closed. */
export async function listRound(storage: Storage, collection: string, round: number): Promise<ListedRound> {
  const files = {} as Record<RoundKind, ShardKey[]>;
  for (const kind of ROUND_KINDS)
    files[kind] = await shardsUnder(storage, `${layout.roundPrefix(collection, round)}${kind}/`, (s) =>
      layout.kind(collection, round, kind, s),
    );
  const images = await shardsUnder(storage, layout.imagesPrefix(collection), (s) => layout.images(collection, s));
  const closed = await storage.exists(layout.manifest(collection, round));
  return { collection, round, files, images, closed };
}

/** A closed round: its manifest, checked as the engine writes it, and the files it lists, per kind. */
export async function readClosedRound(
  storage: Storage,
  collection: string,
  round: number,
): Promise<{ manifest: RoundManifest; files: Record<RoundKind, ManifestFile[]> }> {
  const manifest = await readManifest(storage, collection, round);
  const files = Object.fromEntries(ROUND_KINDS.map((k) => [k, manifest.files.filter((f) => f.kind === k)])) as Record<
    RoundKind,
    ManifestFile[]
  >;
  return { manifest, files };
}

/**
 * A round's manifest as a JSON object whose `schema_version` is ours, its other fields unchecked: for
 * readers that take only the fields they know and say so of a block they cannot read. Null when the
 * round has no manifest.
 */
export async function readManifestObject(
  storage: Storage,
  collection: string,
  round: number,
): Promise<Record<string, unknown> | null> {
  const key = layout.manifest(collection, round);
  if (!(await storage.exists(key))) return null;
  const what = `manifest ${objectName(storage, key)}`;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(await storage.get(key)));
  } catch (e) {
    throw new RoundFileError(`${what}: not JSON (${(e as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new RoundFileError(`${what}: not a JSON object`);
  const manifest = value as Record<string, unknown>;
  checkSchemaVersion(what, manifest.schema_version);
  return manifest;
}

/** A done marker's key, stage folder and shard. */
export interface DoneKey extends ShardKey {
  /** The `_done/` folder name (a stage with ':' written as '_', pipeline/layout.ts). */
  stage: string;
}

const DONE_FILE = /^([^/]+)\/shard-(\d{5})\.json$/;

/** Every done marker of a round, by stage folder then shard. */
export async function listDoneMarkers(storage: Storage, collection: string, round: number): Promise<DoneKey[]> {
  const prefix = `${layout.roundPrefix(collection, round)}_done/`;
  const out: DoneKey[] = [];
  for await (const key of storage.list(prefix)) {
    const m = DONE_FILE.exec(key.slice(prefix.length));
    if (m) out.push({ stage: m[1], shard: Number(m[2]), key });
  }
  return out.sort((a, b) => (a.stage < b.stage ? -1 : a.stage > b.stage ? 1 : a.shard - b.shard));
}

export interface RoundRef {
  collection: string;
  round: number;
}

const ROUND_FOLDER = /^round-(\d+)\/$/;

/**
 * The rounds of a collection (its `round-<R>/` folders that hold any object), ascending. Folder
 * listings only: a collection can hold millions of shard keys, and none of them is listed here.
 */
export async function roundsOf(storage: Storage, collection: string): Promise<number[]> {
  const rounds = new Set<number>();
  const folder = `${collection}/`;
  for await (const sub of storage.listFolders(`${folder}round-`)) {
    const m = ROUND_FOLDER.exec(sub.slice(folder.length));
    if (m) rounds.add(Number(m[1]));
  }
  return [...rounds].sort((a, b) => a - b);
}

/** Every collection's rounds, by collection then round number (folder listings only, as `roundsOf`). */
export async function listRounds(storage: Storage): Promise<RoundRef[]> {
  const out: RoundRef[] = [];
  for await (const folder of storage.listFolders('')) {
    const collection = folder.slice(0, -1);
    for (const round of await roundsOf(storage, collection)) out.push({ collection, round });
  }
  return out.sort((a, b) => a.collection.localeCompare(b.collection) || a.round - b.round);
}

/** The collections that hold any object of round `round`, sorted. */
export async function collectionsWithRound(storage: Storage, round: number): Promise<string[]> {
  return [...new Set((await listRounds(storage)).filter((r) => r.round === round).map((r) => r.collection))].sort();
}
