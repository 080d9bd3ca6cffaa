import sharp from 'sharp';
import type { ExportConfig } from '../../schemas/export-config.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import { layout } from '../layout.ts';
import type { Storage } from '../storage/storage.ts';
import { ExportInputError } from './export-errors.ts';
import { ImageSource } from '../storage/image-source.ts';
import { exportName, readForExport } from './image-bytes.ts';
import { locateRound, readShardInput } from './round-input.ts';
import { rowsForImage, type DropCounts, type ExportImage } from './training-rows.ts';
import { jsonlSink, parquetSink, type SinkRow, type WrittenFile } from './sink.ts';
import { splitFor } from './draw.ts';

/**
 * `fld export`: a round's annotations -> Florence-2 training rows (docs/training-stage.md), read one
 * input shard at a time. Writes are idempotent: the old `_export.json` is removed first, every file
 * is one atomic put under a deterministic key, stale shards of an earlier export are removed, and
 * `_export.json` (the resolved config, counts and checksums) is written last: its presence says the
 * export is complete. No timestamp is written, so the same inputs and seed give the same bytes.
 */
export interface ExportRoundOptions {
  /** Where the round is. */
  storage: Storage;
  collection: string;
  round: number;
  /** Where the export goes; default: `storage` at `<collection>/export/round-R/`. */
  out?: { storage: Storage; prefix: string };
  format: 'parquet' | 'jsonl';
  /** Image bytes in the export (default), or the image's URI. */
  embed: boolean;
  config: ExportConfig;
  onProgress?: (shardsDone: number, shards: number) => void;
}

export interface ExportSummary {
  collection: string;
  round: number;
  out: string;
  format: 'parquet' | 'jsonl';
  embed: boolean;
  shards_read: number;
  warnings: string[];
  images: { exported: number; skipped: Record<string, number> };
  rows: { total: number; per_split: Record<string, number>; per_task: Record<string, number> };
  /** Annotation items left out of a target, by `<task>: <reason>`. */
  dropped: Record<string, number>;
  files: WrittenFile[];
  /** Image files written beside a JSONL export. */
  image_files: number;
}

export const MANIFEST_NAME = '_export.json';
const OUR_FILE = /^[a-z]+(-\d{5}\.parquet|\/annotations\.jsonl)$/;

const inc = (o: Record<string, number>, k: string, n = 1) => (o[k] = (o[k] ?? 0) + n);
const sorted = (o: Record<string, number>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

export async function exportRound(o: ExportRoundOptions): Promise<ExportSummary> {
  const input = await locateRound(o.storage, o.collection, o.round);
  const outStorage = o.out?.storage ?? o.storage;
  const prefix = o.out
    ? o.out.prefix && !o.out.prefix.endsWith('/')
      ? `${o.out.prefix}/`
      : o.out.prefix
    : layout.exportPrefix(o.collection, o.round);
  const cfg = o.config;
  const meta = { collection: o.collection, round: String(o.round), seed: String(cfg.seed) };
  if (await outStorage.exists(prefix + MANIFEST_NAME)) await outStorage.delete(prefix + MANIFEST_NAME);
  const sink =
    o.format === 'parquet'
      ? parquetSink(outStorage, prefix, cfg.rowsPerShard, meta)
      : await jsonlSink(outStorage, prefix);
  const reader = new ImageSource();
  const drops: DropCounts = new Map();
  const skipped: Record<string, number> = {};
  const perSplit: Record<string, number> = {};
  const perTask: Record<string, number> = {};
  let exported = 0;
  const rowOpts = {
    tasks: cfg.tasks,
    seed: cfg.seed,
    groundingGranularities: cfg.groundingGranularities,
    regionEchoLocs: cfg.regionEchoLocs,
    ocrEmptyRows: cfg.ocrEmptyRows,
    trustedTexts: cfg.trustedTexts,
    ...(input.textSources ? { sourceRank: input.textSources } : {}),
  };
  let files: WrittenFile[];
  let imageFiles: number;
  try {
    for (const [i, shard] of input.shards.entries()) {
      const s = await readShardInput(o.storage, input, shard);
      for (const rec of s.images) {
        if (rec.error !== null) {
          inc(skipped, 'image record has an error');
          continue;
        }
        if (s.failed.has(rec.image_id)) {
          inc(skipped, 'a stage failed on the image (round errors)');
          continue;
        }
        const labels = s.labels.get(rec.image_id)!;
        const split = splitFor(rec.image_id, cfg.splits, cfg.seed);
        let bytes: Uint8Array | null = null;
        let { width, height } = rec;
        if (o.embed || width === null || height === null) bytes = await readForExport(reader, rec.image_id, rec.uri);
        if (width === null || height === null) {
          const m = await sharp(bytes!)
            .metadata()
            .catch(() => ({ width: undefined, height: undefined }));
          if (!m.width || !m.height)
            throw new ExportInputError(
              `export: image ${rec.image_id} (${rec.uri}) has no size in its record and its header cannot be read`,
            );
          ({ width, height } = m);
        }
        const img: ExportImage = {
          image_id: rec.image_id,
          file: rec.uri,
          name: exportName(rec.image_id, rec.uri),
          width,
          height,
        };
        const rows = rowsForImage(img, labels, split, rowOpts, drops);
        if (!rows.length) {
          inc(skipped, 'no task has the labels it needs');
          continue;
        }
        exported++;
        for (const r of rows) {
          inc(perSplit, r.split);
          inc(perTask, r.task);
        }
        await sink.add(rows.map((row): SinkRow => ({ row, bytes: o.embed ? bytes : null })));
      }
      o.onProgress?.(i + 1, input.shards.length);
    }
    ({ files, imageFiles } = await sink.finish());
  } catch (e) {
    await sink.abort();
    throw e;
  } finally {
    await reader.close();
  }
  // Shards of an earlier export into the same place that this one did not rewrite.
  const mine = new Set(files.map((f) => f.key));
  for await (const key of outStorage.list(prefix)) {
    if (!mine.has(key) && OUR_FILE.test(key.slice(prefix.length))) await outStorage.delete(key);
  }
  const summary: ExportSummary = {
    collection: o.collection,
    round: o.round,
    out: `${outStorage.url.replace(/\/+$/, '')}/${prefix}`,
    format: o.format,
    embed: o.embed,
    shards_read: input.shards.length,
    warnings: input.warnings,
    images: { exported, skipped: sorted(skipped) },
    rows: {
      total: Object.values(perSplit).reduce((a, b) => a + b, 0),
      per_split: sorted(perSplit),
      per_task: sorted(perTask),
    },
    dropped: sorted(Object.fromEntries(drops)),
    files,
    image_files: imageFiles,
  };
  const { out: _where, ...rest } = summary;
  await outStorage.put(
    prefix + MANIFEST_NAME,
    JSON.stringify({ schema_version: SCHEMA_VERSION, ...rest, config: cfg }, null, 2) + '\n',
    { contentType: 'application/json' },
  );
  return summary;
}
