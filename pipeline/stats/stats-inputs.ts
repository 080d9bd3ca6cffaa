import { existsSync } from 'node:fs';
import { ROUND_KINDS, type RoundKind } from '../../schemas/records.ts';
import { SchemaVersionError } from '../../schemas/version.ts';
import { RoundFileError } from '../shards/round-files.ts';
import { collectionsWithRound, listRound, readManifestObject, roundsOf } from '../rounds/round-reader.ts';
import type { LocalFiles } from '../storage/local-files.ts';
import type { Storage } from '../storage/storage.ts';
import { StatsInputError } from './stats-errors.ts';

/** The files of one round as local paths for DuckDB, found by pipeline/rounds/round-reader.ts on any Storage. */
export interface RoundFiles {
  /** The storage root in messages: a local folder's path, else the storage URL. */
  root: string;
  /** The folder the paths lie under; a path relative to it is the object's key. */
  dir: string;
  collection: string;
  round: number;
  /** Local shard paths per kind, in shard order. */
  shards: Record<RoundKind, string[]>;
  /** The collection's image-record shards (for image sizes); empty when there are none. */
  images: string[];
  /** The `_manifest.json` (its schema_version checked, nothing else), or null when the round has none yet. */
  manifest: Record<string, unknown> | null;
}

/** The collection to read: the one given, or the only one in the storage that has round `round`. */
async function pickCollection(
  storage: Storage,
  root: string,
  round: number,
  collection: string | undefined,
): Promise<string> {
  if (collection !== undefined) return collection;
  const withRound = await collectionsWithRound(storage, round);
  if (withRound.length === 1) return withRound[0];
  if (withRound.length === 0) throw new StatsInputError(`stats: no collection under ${root} has a round ${round}`);
  throw new StatsInputError(
    `stats: several collections under ${root} have a round ${round} (${withRound.join(', ')}); pass --collection`,
  );
}

export async function locateRound(
  storage: Storage,
  local: LocalFiles,
  collectionArg: string | undefined,
  round: number,
): Promise<RoundFiles> {
  const root = local.copies ? storage.url : local.dir;
  if (!local.copies && !existsSync(root)) throw new StatsInputError(`stats: storage root ${root} does not exist`);
  const collection = await pickCollection(storage, root, round, collectionArg);
  const have = await roundsOf(storage, collection);
  if (!have.includes(round)) {
    const found = have.length ? `rounds found: ${have.join(', ')}` : 'it has no rounds';
    throw new StatsInputError(`stats: collection "${collection}" under ${root} has no round ${round} (${found})`);
  }
  const listed = await listRound(storage, collection, round);
  const paths = (keys: { key: string }[]) => Promise.all(keys.map((k) => local.path(k.key)));
  const shards = {} as Record<RoundKind, string[]>;
  for (const kind of ROUND_KINDS) shards[kind] = await paths(listed.files[kind]);
  let manifest: Record<string, unknown> | null;
  try {
    manifest = await readManifestObject(storage, collection, round);
  } catch (e) {
    if (e instanceof RoundFileError || e instanceof SchemaVersionError)
      throw new StatsInputError(`stats: ${e.message}`);
    throw e;
  }
  return { root, dir: local.dir, collection, round, shards, images: await paths(listed.images), manifest };
}
