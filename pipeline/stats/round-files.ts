import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROUND_KINDS, type RoundKind } from '../../schemas/records.ts';
import { checkSchemaVersion } from '../../schemas/version.ts';
import { layout } from '../layout.ts';
import { StatsInputError } from './errors.ts';

/** The files of one round on a local storage root, found by the key layout of pipeline/layout.ts. */
export interface RoundFiles {
  root: string;
  collection: string;
  round: number;
  /** Absolute shard paths per kind, in shard order. */
  shards: Record<RoundKind, string[]>;
  /** The collection's image-record shards (for image sizes); empty when there are none. */
  images: string[];
  /** Absolute path of `_done/`, whether or not it exists. */
  doneDir: string;
  /** The parsed `_manifest.json`, or null when the round has none yet. */
  manifest: Record<string, unknown> | null;
}

// Only finished shard files count: a writer's temp file (written then renamed) is not a shard yet.
const SHARD_FILE = /^shard-\d{5}\.parquet$/;

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

function listShards(dir: string): string[] {
  if (!isDir(dir)) return [];
  return readdirSync(dir)
    .filter((f) => SHARD_FILE.test(f))
    .sort()
    .map((f) => join(dir, f));
}

function roundsOf(collectionDir: string): number[] {
  if (!isDir(collectionDir)) return [];
  return readdirSync(collectionDir)
    .map((d) => /^round-(\d+)$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** The collection to read: the one given, or the only one under `root` that has round `round`. */
function pickCollection(root: string, round: number, collection: string | undefined): string {
  if (collection !== undefined) return collection;
  const withRound = readdirSync(root)
    .filter((c) => isDir(join(root, c, `round-${round}`)))
    .sort();
  if (withRound.length === 1) return withRound[0];
  if (withRound.length === 0) throw new StatsInputError(`stats: no collection under ${root} has a round ${round}`);
  throw new StatsInputError(
    `stats: several collections under ${root} have a round ${round} (${withRound.join(', ')}); pass --collection`,
  );
}

export function locateRound(rootArg: string, collectionArg: string | undefined, round: number): RoundFiles {
  const root = resolve(rootArg);
  if (!isDir(root)) throw new StatsInputError(`stats: storage root ${root} does not exist`);
  const collection = pickCollection(root, round, collectionArg);
  const roundDir = join(root, layout.roundPrefix(collection, round));
  if (!isDir(roundDir)) {
    const have = roundsOf(join(root, collection));
    const found = have.length ? `rounds found: ${have.join(', ')}` : 'it has no rounds';
    throw new StatsInputError(`stats: collection "${collection}" under ${root} has no round ${round} (${found})`);
  }
  const shards = Object.fromEntries(ROUND_KINDS.map((k) => [k, listShards(join(roundDir, k))])) as Record<
    RoundKind,
    string[]
  >;
  const images = listShards(join(root, collection, 'images'));
  const manifestPath = join(root, layout.manifest(collection, round));
  let manifest: Record<string, unknown> | null = null;
  if (existsSync(manifestPath)) {
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new StatsInputError(`stats: manifest ${manifestPath} is not valid JSON: ${(e as Error).message}`);
    }
    try {
      checkSchemaVersion(`manifest ${manifestPath}`, manifest.schema_version);
    } catch (e) {
      throw new StatsInputError(`stats: ${(e as Error).message}`);
    }
  }
  return { root, collection, round, shards, images, doneDir: join(roundDir, '_done'), manifest };
}
