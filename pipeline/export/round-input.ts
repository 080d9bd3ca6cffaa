import { ANNOTATION_KINDS, type ImageRecord, type RoundKind, ROUND_KINDS } from '../../schemas/records.ts';
import { layout } from '../layout.ts';
import { readManifest } from '../shards/round-files.ts';
import { openStoredShard, readShard } from '../shards/storage-io.ts';
import { listRound } from '../rounds/round-reader.ts';
import type { Storage } from '../storage/storage.ts';
import { ExportInputError } from './export-errors.ts';
import type { ImageLabels } from './training-rows.ts';

/** The shards of one round, as pipeline/rounds/round-reader.ts finds them on any Storage. */
export interface RoundInput {
  collection: string;
  round: number;
  /** Shard ids that have any round file, ascending. */
  shards: number[];
  /** Which kinds each shard has. */
  kinds: Map<number, Set<RoundKind>>;
  /** Annotation rows over all shards, from the footers. */
  annotationRows: number;
  /** Things worth saying that do not stop the export (e.g. the round has no manifest yet). */
  warnings: string[];
  /** Per granularity, text sources best first on the verified set (the round manifest's acceptance); null without one. */
  textSources: Record<string, string[]> | null;
}

export async function locateRound(storage: Storage, collection: string, round: number): Promise<RoundInput> {
  const listed = await listRound(storage, collection, round);
  const kinds = new Map<number, Set<RoundKind>>();
  let annotationRows = 0;
  for (const kind of ROUND_KINDS) {
    for (const { shard, key } of listed.files[kind]) {
      kinds.set(shard, (kinds.get(shard) ?? new Set()).add(kind));
      if (kind !== 'errors') annotationRows += (await openStoredShard(storage, key)).rowCount;
    }
  }
  const where = `${storage.url.replace(/\/+$/, '')}/${layout.roundPrefix(collection, round)}`;
  if (kinds.size === 0)
    throw new ExportInputError(
      `export: round ${round} of collection "${collection}" does not exist (no shards under ${where})`,
    );
  const shards = [...kinds.keys()].sort((a, b) => a - b);
  const warnings: string[] = [];
  let textSources: Record<string, string[]> | null = null;
  if (listed.closed) {
    // A closed round: every shard its manifest names must be there, or the export would be partial.
    const manifest = await readManifest(storage, collection, round).catch((e: Error) => {
      throw new ExportInputError(`export: ${e.message.split('\n')[0]}`);
    });
    const missing = manifest.shards.filter((s) => !kinds.has(s));
    if (missing.length)
      throw new ExportInputError(
        `export: round ${round} of collection "${collection}": its manifest lists shard(s) ${missing.join(', ')} that have no files under ${where}`,
      );
    // the verified set's ranking of text sources: the export's caption of each image comes from the best one
    if (manifest.acceptance && (manifest.config.acceptance as { targets?: boolean } | undefined)?.targets !== false)
      textSources = Object.fromEntries(
        Object.entries(manifest.acceptance.textSources).map(([g, l]) => [g, l.map((x) => x.source)]),
      );
  } else {
    warnings.push(
      `round ${round} has no _manifest.json (not closed yet?): exported the ${shards.length} shard(s) present`,
    );
  }
  if (annotationRows === 0)
    throw new ExportInputError(
      `export: round ${round} of collection "${collection}" is empty (${kinds.size} shard(s) under ${where}, no annotation rows)`,
    );
  return { collection, round, shards, kinds, annotationRows, warnings, textSources };
}

export interface ShardInput {
  images: ImageRecord[];
  labels: Map<string, ImageLabels>;
  /** Image ids with a row in the round's errors: a stage failed on them, so their labels are partial. */
  failed: Set<string>;
}

/** One shard's image records and annotations, grouped by image (one shard in memory at a time). */
export async function readShardInput(storage: Storage, input: RoundInput, shard: number): Promise<ShardInput> {
  const { collection: c, round } = input;
  const imagesKey = layout.images(c, shard);
  if (!(await storage.exists(imagesKey)))
    throw new ExportInputError(
      `export: round ${round} has shard ${shard} but the collection has no image records at ${imagesKey}`,
    );
  const images = (await readShard(storage, imagesKey, 'image')).rows;
  const labels = new Map<string, ImageLabels>(
    images.map((im) => [im.image_id, { region_text: [], text: [], text_phrase_region: [] }]),
  );
  const has = input.kinds.get(shard)!;
  for (const kind of ANNOTATION_KINDS) {
    if (!has.has(kind)) continue;
    const key = layout.kind(c, round, kind, shard);
    for (const r of (await readShard(storage, key, kind)).rows) {
      const bucket = labels.get(r.image_id);
      if (!bucket)
        throw new ExportInputError(`export: ${key} has a row for image ${r.image_id}, which is not in ${imagesKey}`);
      (bucket[kind] as unknown[]).push(r);
    }
  }
  const failed = new Set<string>();
  if (has.has('errors'))
    for (const e of (await readShard(storage, layout.kind(c, round, 'errors', shard), 'errors')).rows)
      failed.add(e.image_id);
  return { images, labels, failed };
}
