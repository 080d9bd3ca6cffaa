import { DoneMarker } from '../../schemas/done-marker.ts';
import { RoundManifest, type ManifestFile } from '../../schemas/manifest.ts';
import { ROUND_KINDS } from '../../schemas/records.ts';
import { validate } from '../../schemas/validate.ts';
import { checkSchemaVersion, SCHEMA_VERSION } from '../../schemas/version.ts';
import { layout } from '../layout.ts';
import type { Storage } from '../storage/storage.ts';
import { objectName } from './storage-io.ts';

/** The JSON files of a round beside its shards: the manifest and the per-shard done markers. */

/**
 * A manifest or done marker that is not a JSON object (cut short, overwritten, not ours): bad input
 * of its own kind, so that callers such as `fld inspect` can report it as such (one line, exit 2)
 * instead of as a crash.
 */
export class RoundFileError extends Error {
  override name = 'RoundFileError';
}

/** `what` names the file in messages, e.g. `manifest file:///data/demo/round-0/_manifest.json`. */
function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RoundFileError(`${what}: not JSON (${(e as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new RoundFileError(`${what}: not a JSON object`);
  return value as Record<string, unknown>;
}

/** Check and parse a manifest's text: an unknown schema_version is refused by name before any field is read. */
export function parseManifest(text: string, what: string): RoundManifest {
  const raw = parseJsonObject(text, what);
  checkSchemaVersion(what, raw.schema_version);
  return validate(RoundManifest, raw, what);
}

export function parseDoneMarker(text: string, what: string): DoneMarker {
  const raw = parseJsonObject(text, what);
  checkSchemaVersion(what, raw.schema_version);
  return validate(DoneMarker, raw, what);
}

const readText = async (storage: Storage, key: string): Promise<string> =>
  new TextDecoder().decode(await storage.get(key));

/** Counts per kind and the shard list, from the files a round wrote. */
export function summarizeFiles(files: readonly ManifestFile[]): Pick<RoundManifest, 'shards' | 'counts'> {
  const counts = Object.fromEntries(ROUND_KINDS.map((k) => [k, 0])) as RoundManifest['counts'];
  const shards = new Set<number>();
  for (const f of files) {
    counts[f.kind] += f.rows;
    shards.add(f.shard);
  }
  return { counts, shards: [...shards].sort((a, b) => a - b) };
}

export async function writeManifest(
  storage: Storage,
  manifest: Omit<RoundManifest, 'schema_version'>,
): Promise<string> {
  const key = layout.manifest(manifest.collection, manifest.round);
  const m = validate(
    RoundManifest,
    { schema_version: SCHEMA_VERSION, ...manifest },
    `manifest ${objectName(storage, key)}`,
  );
  await storage.put(key, JSON.stringify(m, null, 2) + '\n', { contentType: 'application/json' });
  return key;
}

export async function readManifestAt(storage: Storage, key: string): Promise<RoundManifest> {
  return parseManifest(await readText(storage, key), `manifest ${objectName(storage, key)}`);
}

export const readManifest = (storage: Storage, collection: string, round: number): Promise<RoundManifest> =>
  readManifestAt(storage, layout.manifest(collection, round));

/** Write a stage's done marker. Callers write it last, after every output of the stage on the shard. */
export const writeDoneMarker = (
  storage: Storage,
  collection: string,
  round: number,
  marker: Omit<DoneMarker, 'schema_version'>,
): Promise<string> => writeDoneMarkerAt(storage, layout.done(collection, round, marker.stage, marker.shard), marker);

/** Write a done marker at `key` (the stage's own marker key, pipeline/engine/run-stage.ts). */
export async function writeDoneMarkerAt(
  storage: Storage,
  key: string,
  marker: Omit<DoneMarker, 'schema_version'>,
): Promise<string> {
  const m = validate(
    DoneMarker,
    { schema_version: SCHEMA_VERSION, ...marker },
    `done marker ${objectName(storage, key)}`,
  );
  await storage.put(key, JSON.stringify(m) + '\n', { contentType: 'application/json' });
  return key;
}

/** The done marker of a stage on a shard, or null when the stage has not completed there. */
export const readDoneMarker = (
  storage: Storage,
  collection: string,
  round: number,
  stage: string,
  shard: number,
): Promise<DoneMarker | null> => readDoneMarkerAt(storage, layout.done(collection, round, stage, shard), stage, shard);

/** The done marker at `key`, checked to be `stage`'s on `shard`; null when there is none. */
export async function readDoneMarkerAt(
  storage: Storage,
  key: string,
  stage: string,
  shard: number,
): Promise<DoneMarker | null> {
  if (!(await storage.exists(key))) return null;
  const what = `done marker ${objectName(storage, key)}`;
  const m = parseDoneMarker(await readText(storage, key), what);
  if (m.stage !== stage || m.shard !== shard)
    throw new Error(`${what}: says stage ${m.stage} shard ${m.shard}, expected stage ${stage} shard ${shard}`);
  return m;
}
